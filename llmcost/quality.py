"""Quality beside cost (issue #12): published benchmark scores of models and APIs, one benchmark per comparison.

Headline benchmark: MMLU-Pro (Wang et al. 2024, arXiv 2406.01574; 12,032 questions with ten options). It is
the one knowledge-and-reasoning benchmark still published for both sides of the comparison: open-weight
model cards (Llama 3.x, Qwen 2.5/3, Gemma 3, Mistral Small 3.x, DeepSeek V3) and, through competitors' model
cards, the closed APIs (GPT-4o/4.1/5, Claude 4.5, Gemini 2.5); MMLU is saturated at the top (GPT-4.1 90.2,
DeepSeek-V3 88.5) and no longer reported for 2025 APIs, while MMLU-Pro still spreads them (73-90), and its
paper reports about half MMLU's prompt sensitivity. MMLU (Hendrycks et al. 2021) is kept as the second
benchmark because it is the only common number for models of 2020-2023 (GPT-3, Gopher, PaLM, LLaMA 1/2).

A comparison uses ONE benchmark for every row: the headline when the served model has a score on it, else the
first benchmark it does have (BENCHMARKS order); scores of different benchmarks are never compared. Own and
rent rows carry the served model's score, API rows the API's (an API that hosts an open model and records
no scores of its own carries the model's). A missing score is "n/a" with the profile's reason, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llmcost.catalog import Catalog
from llmcost.schema import BENCHMARKS, Api, Model, QualityScore, Scenario

HEADLINE = BENCHMARKS[0]
CHEAPEST_AT_QUALITY = "cheapest-at-quality"
"""`--vs` value: measure break-even against the cheapest API option that clears the quality floor."""


@dataclass(frozen=True)
class Score:
    """One option's score on the comparison's benchmark: the number (None = n/a), the profile record it comes
    from, whose record it is (a hosting API may carry its model's), and why there is none."""

    benchmark: str
    value: float | None
    record: QualityScore | None
    owner: str
    reason: str = ""


def records_of(cat: Catalog, entry: Model | Api) -> tuple[tuple[QualityScore, ...], str]:
    """The quality records of a model or API, and whose they are (an API hosting an open model without
    records of its own carries the model's)."""
    if isinstance(entry, Api) and not entry.quality and entry.serves_model:
        model = cat.entries["models"].get(entry.serves_model)
        if model is not None:
            return model.quality, f"model {model.id}"
    return entry.quality, ("api " if isinstance(entry, Api) else "model ") + entry.id


def score(cat: Catalog, entry: Model | Api, benchmark: str) -> Score:
    """The entry's score on `benchmark`, or n/a with the reason its profile gives (or that it gives none)."""
    recs, owner = records_of(cat, entry)
    rec = next((r for r in recs if r.benchmark == benchmark), None)
    if rec is not None and rec.score is not None:
        return Score(benchmark, float(rec.score), rec, owner)
    reason = rec.reason if rec is not None and rec.reason else f"the {owner} profile records no {benchmark} score"
    return Score(benchmark, None, rec, owner, str(reason))


def benchmark_for(cat: Catalog, sc: Scenario) -> str:
    """The comparison's benchmark: the first of BENCHMARKS the served model has a score on (else the headline)."""
    model = cat.get("models", sc.serving.model)
    for b in BENCHMARKS:
        if score(cat, model, b).value is not None:
            return b
    return HEADLINE


def option_score(cat: Catalog, sc: Scenario, api: Api | None, benchmark: str) -> Score:
    """An option's score: the API's for API options, the served model's for own and rent options."""
    return score(cat, api if api is not None else cat.get("models", sc.serving.model), benchmark)


def note(s: Score) -> str | None:
    """The row note a score needs: why it is n/a, or that it was measured in a reasoning mode."""
    if s.value is None:
        return f"quality n/a: {s.reason.rstrip('.')}"
    if s.record is not None and s.record.reasoning:
        return f"{s.benchmark} {s.value:g} measured with reasoning (more output tokens than this workload prices)"
    return None


def clears(value: float | None, floor: float | None) -> bool:
    """Whether a score clears the floor (no floor: everything does; no score: never, it is not known to)."""
    return floor is None or (value is not None and value >= floor)


def floor_problem(kept: Sequence[Any], every: Sequence[Any], floor: float, benchmark: str) -> str | None:
    """The error when the floor leaves nothing to compare, naming the best score there is."""
    if kept:
        return None
    scored = [o for o in every if o.quality_score is not None]
    best = max(scored, key=lambda o: o.quality_score, default=None)
    top = f"; the best is {best.label()} at {best.quality_score:g}" if best is not None else "; no option has a score"
    return f"no option scores at least {floor:g} on {benchmark} (options.min_quality / --min-quality){top}"


def floor_sentence(dropped: Sequence[Any], floor: float, benchmark: str) -> str:
    """The verdict's line about the options the floor left out."""
    if not dropped:
        return f"Every option clears the {benchmark} floor of {floor:g}."
    low = sorted({f"{o.quality_score:g}" for o in dropped if o.quality_score is not None}, key=float)
    unscored = [o.label() for o in dropped if o.quality_score is None]
    parts = []
    if len(dropped) > len(unscored):
        parts.append(f"{len(dropped) - len(unscored)} scoring {', '.join(low)}")
    if unscored:
        parts.append(f"{len(unscored)} without a score ({', '.join(unscored)})")
    return f"Left out below the {benchmark} floor of {floor:g}: {' and '.join(parts)}."


def gap_sentence(rows: Sequence[dict[str, Any]], names: Sequence[str], ref: str, gap_points: float) -> str | None:
    """When options named (the cheapest, the best own one) score materially below the reference API, or have
    no score to compare, one sentence that says so; None when they are level with it (or are the reference)."""
    by_name = {r["option"]: r for r in rows}
    theirs = by_name.get(f"api {ref}")
    if theirs is None:
        return None
    if not isinstance(theirs["quality_score"], (int, float)):
        named = [n for n in names if n != theirs["option"]]
        return (f"The reference {ref} has no published {theirs['quality_benchmark']} score, so the quality of "
                f"{' and '.join(named)} against it is unknown.") if named else None
    b, bench = theirs["quality_score"], theirs["quality_benchmark"]
    mine = [by_name[n] for n in names if n in by_name and by_name[n] is not theirs]
    low = [r for r in mine if isinstance(r["quality_score"], (int, float)) and b - r["quality_score"] > gap_points]
    unknown = [r["option"] for r in mine if not isinstance(r["quality_score"], (int, float))]
    out = []
    for a in dict.fromkeys(r["quality_score"] for r in low):
        who = " and ".join(r["option"] for r in low if r["quality_score"] == a)
        out.append(f"{who} {'score' if ' and ' in who else 'scores'} {a:g} on {bench} against {b:g} for {ref}: {b - a:.1f} points "
                   f"lower, more than the {gap_points:g} points by which published evaluations of one model differ, so not "
                   f"the same quality.")
    if unknown:
        out.append(f"{' and '.join(unknown)} {'have' if len(unknown) > 1 else 'has'} no published {bench} score, so "
                   f"{'their' if len(unknown) > 1 else 'its'} quality against {ref} ({b:g}) is unknown.")
    return " ".join(out) or None


def explain_lines(cat: Catalog, sc: Scenario, opts: Iterable[Any]) -> list[str]:
    """For --explain: the benchmark and why, and each distinct score used with its source, date and setting."""
    bench = benchmark_for(cat, sc)
    why = ("the headline benchmark" if bench == HEADLINE
           else f"the served model has no {HEADLINE} score, so the older benchmark it has")
    lines = [f"quality (llmcost/quality.py, docs/trends-and-quality.md): {bench}, {why}; scores of other benchmarks are never "
             f"compared; a gap above {cat.value('quality_material_gap_points'):g} points is material "
             f"[{cat.assumptions['quality_material_gap_points'].source.split(';')[0]}]"]
    seen: set[str] = set()
    for o in opts:
        s = option_score(cat, sc, o.api, bench)
        if o.api is not None and s.owner != f"api {o.api.id}":
            lines.append(f"  api {o.api.id}: the {s.owner} scores (the endpoint itself was not evaluated; its serving "
                         f"precision may shift them)")
        if s.owner in seen:
            continue
        seen.add(s.owner)
        if s.value is None or s.record is None:
            lines.append(f"  {s.owner}: n/a ({s.reason})")
            continue
        r = s.record
        extra = "".join(f"; {k} {v}" for k, v in (("variant", r.variant), ("evaluator", r.evaluator), ("doubtful", r.doubtful)) if v)
        lines.append(f"  {s.owner}: {s.value:g} ({r.setting or 'setting not stated'}{'; reasoning mode' if r.reasoning else ''}; "
                     f"as_of {r.as_of}{extra})    [{r.source}]")
    return lines
