"""The options a scenario compares: own N x GPU, rental offers of those GPUs, and APIs.

Which options exist depends only on ids in the scenario; how many GPUs an option without a count gets
(the fewest of 1, 2, 4, 8 that hold the model and one sequence) depends on the token counts, and is
resolved per row when the numbers are known (`llmcost.comparison.evaluate`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from llmcost import inputs, quality
from llmcost.catalog import Catalog, parse_gpu_option
from llmcost.engine import lifecycle
from llmcost.errors import LlmcostError
from llmcost.schema import Api, Gpu, Rental, Scenario

OWN, RENT, API = lifecycle.OWN, lifecycle.RENT, lifecycle.API
KIND_NAMES = ("own", "rent", "api")
OPTION_KEYS = frozenset({"options.gpus", "options.rentals", "options.apis", "options.hosts", "serving.model"})
"""The scenario keys `build` reads: which options exist depends on these alone (a sweep counts its rows from them)."""
AUTO_GPU_COUNTS = (1, 2, 4, 8)
"""GPU counts tried per replica when an option names no count: tensor parallelism splits heads evenly
over powers of two."""


@dataclass(frozen=True)
class Option:
    """One row of a comparison before the engines run.

    `count` is the GPUs per replica, or None for the fewest of AUTO_GPU_COUNTS that fit. `notes` are the
    option's own caveats (more are added per row once the numbers are known). `quality_score` is its score on
    the comparison's benchmark `quality_benchmark` (None = n/a; llmcost.quality).
    """

    kind: int
    gpu: Gpu | None = None
    count: int | None = None
    rental: Rental | None = None
    api: Api | None = None
    notes: tuple[str, ...] = ()
    quality_score: float | None = None
    quality_benchmark: str = quality.HEADLINE

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]

    def label(self, count: int | None = None) -> str:
        """The option's name in output, e.g. 'own 2xrtx-4090', 'rent runpod/h100-sxm', 'api openai/gpt-4o-mini'."""
        n = self.count if count is None else count
        if self.api is not None:
            return f"api {self.api.id}"
        if self.rental is not None:
            return f"rent {n}x {self.rental.id}" if n and n > 1 else f"rent {self.rental.id}"
        assert self.gpu is not None
        return f"own {n}x{self.gpu.id}" if n and n > 1 else f"own {self.gpu.id}"

    @property
    def hardware(self) -> bool:
        return self.gpu is not None


def build(cat: Catalog, sc: Scenario, extra_apis: Sequence[str] = ()) -> list[Option]:
    """`every` option of the scenario that clears its quality floor (`options.min_quality`), if it sets one."""
    opts = every(cat, sc, extra_apis)
    floor = sc.options.min_quality
    if floor is None:
        return opts
    kept = [o for o in opts if quality.clears(o.quality_score, floor)]
    problem = quality.floor_problem(kept, opts, floor, opts[0].quality_benchmark if opts else quality.HEADLINE)
    if problem:
        raise LlmcostError(problem)
    return kept


def every(cat: Catalog, sc: Scenario, extra_apis: Sequence[str] = ()) -> list[Option]:
    """Own options (the count given, or auto), rental offers of those GPUs (or the ones named), the
    scenario's APIs and, unless `options.hosts` is off, the APIs that host the served model; each with its
    quality score on the comparison's benchmark (llmcost.quality)."""
    out: list[Option] = []
    counts: dict[str, int | None] = {}
    for spec in sc.options.gpus:
        count, gid = parse_gpu_option(spec)
        n = count if spec.strip() != gid else None
        counts.setdefault(gid, n)
        gpu = cat.get("gpus", gid)
        inputs.check_group(gpu, n or 1)
        out.append(Option(OWN, gpu=gpu, count=n))
    offers: list[Rental] = []
    for rid in sc.options.rentals:
        if rid == "auto":
            for gid in counts:
                offers += inputs.rentals_for(cat, gid)
        else:
            offers.append(cat.get("rentals", rid))
    for offer in {r.id: r for r in offers}.values():
        out.append(Option(RENT, gpu=cat.get("gpus", offer.gpu), count=counts.get(offer.gpu), rental=offer))
    api_ids = list(dict.fromkeys([*extra_apis, *sc.options.apis]))
    if sc.options.hosts:
        api_ids += [a.id for a in cat.entries["apis"].values() if a.serves_model == sc.serving.model and a.id not in api_ids]
    out += [Option(API, api=cat.get("apis", aid)) for aid in api_ids]
    return [with_quality(cat, sc, o, quality.benchmark_for(cat, sc)) for o in out]


def with_quality(cat: Catalog, sc: Scenario, opt: Option, benchmark: str) -> Option:
    """The option with its score on `benchmark` and, where the score needs one, its note."""
    s = quality.option_score(cat, sc, opt.api, benchmark)
    note = quality.note(s)
    return dataclasses.replace(opt, quality_score=s.value, quality_benchmark=benchmark,
                               notes=opt.notes + ((note,) if note else ()))


def labels(opt: Option, counts: np.ndarray) -> np.ndarray:
    """The option's label for each row's GPU count (an object array)."""
    if opt.api is not None or opt.count is not None:
        out = np.empty(len(counts), dtype=object)
        out[:] = opt.label()
        return out
    names = {int(c): opt.label(int(c)) for c in np.unique(counts)}
    out = np.empty(len(counts), dtype=object)
    for c, name in names.items():
        out[counts == c] = name
    return out
