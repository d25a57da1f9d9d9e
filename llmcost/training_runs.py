"""Training runs inside a comparison: what an option's pre-training and fine-tuning cost it, and when it can serve.

One function costs a run everywhere: llmcost.engine.training.run_costs, fed by inputs.run_cost_inputs (the
hosts, site and upkeep of llmcost.hosting), exactly as `llmcost pretrain` and `llmcost finetune` cost it. In
a comparison the run's cost is split by who already pays for what:

- own: the run's energy at the site's tariff and PUE. The serving fleet's GPUs train too; their depreciation
  and upkeep are in the fleet's monthly costs (which run while they train). GPUs the run needs beyond the
  fleet are rented at the card's cheapest on-demand offer (`lifecycle.extra_gpus: rent`, the default;
  bought when the card has no offer), or bought for the run and sold after it (`buy`: their share of the
  run's depreciation and upkeep).
- rent: the run's GPU-hours at the option's rate.
- api: the provider's fine-tuning price per trained token (`api_fees`, also the reference API's fees).

Serving starts when the initial runs end (pre-training, then the first fine-tune): `start_months`; until
then the option's traffic goes to the reference API (llmcost.engine.lifecycle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmcost import hosting, inputs
from llmcost.catalog import Catalog
from llmcost.engine import money, training
from llmcost.notes import Note, text_notes, value_notes
from llmcost.options import OWN, Option
from llmcost.schema import Api, Gpu, Model, Scenario


@dataclass(frozen=True)
class Training:
    """One option's lifecycle training: one-time and periodic USD, the period, when serving starts, notes."""

    one_time_usd: Any = 0.0
    periodic_usd: Any = 0.0
    period_months: Any = 0.0
    start_months: Any = 0.0
    fits: Any = True
    notes: tuple[Note, ...] = ()


def api_fees(api: Api, sc: Scenario) -> Training:
    """An API's fine-tuning fees for the scenario's runs: tokens x epochs x its price per trained token (none when
    it sells no fine-tuning, or the scenario fine-tunes nothing)."""
    ft = sc.lifecycle.finetune if sc.lifecycle is not None else None
    if ft is None or api.finetune_train_usd_per_mtok is None:
        return Training()
    fee = api.finetune_train_usd_per_mtok * ft.tokens * ft.epochs / 1e6
    return Training(fee, fee if ft.every_months else 0.0, ft.every_months or 0.0)


def option_training(cat: Catalog, sc: Scenario, eco: Mapping[str, Any], opt: Option, count: Any, fleet_gpus: Any) -> Training:
    """The training runs of one option of a comparison (module docstring); values may be arrays over rows."""
    life = sc.lifecycle
    if life is None:
        return Training()
    if opt.api is not None:
        return api_fees(opt.api, sc)
    assert opt.gpu is not None
    model: Model = cat.get("models", sc.serving.model)
    runs = []
    if life.pretrain is not None:
        runs.append(_pretrain(cat, sc, eco, opt, opt.gpu, model, count, fleet_gpus))
    if life.finetune is not None:
        runs.append(_finetune(cat, sc, eco, opt, opt.gpu, model, count))
    one = sum((r.one_time_usd for r in runs), start=0.0)
    start = sum((r.start_months for r in runs), start=0.0)
    fits = np.logical_and.reduce([np.asarray(r.fits) for r in runs]) if runs else True
    notes = [n for r in runs for n in r.notes]
    horizon = eco["horizon_months"]
    notes += value_notes("serving starts in month {:,.1f}, when training ends; until then requests go to the reference API",
                         start, (np.asarray(start) >= 0.05) & (np.asarray(start) < horizon) & fits)
    notes += value_notes(f"training takes {{:,.1f}} months, past the {np.max(horizon):g}-month horizon: this option never serves",
                         start, (np.asarray(start) >= horizon) & fits)
    ft = runs[-1] if life.finetune is not None else Training()
    return Training(one, ft.periodic_usd, ft.period_months, start, fits, tuple(notes))


def _rate(opt: Option) -> float | None:
    return opt.rental.usd_per_gpu_hour if opt.rental is not None else None


def _pretrain(cat: Catalog, sc: Scenario, eco: Mapping[str, Any], opt: Option, gpu: Gpu, model: Model, count: Any,
              fleet_gpus: Any) -> Training:
    pt = sc.lifecycle.pretrain if sc.lifecycle is not None else None
    assert pt is not None
    gpus = np.asarray(pt.gpus if pt.gpus else count, dtype=float)
    inputs.check_group(gpu, gpus)
    x = inputs.pretrain_inputs(cat, model, gpu, gpus, pt.tokens, rate=_rate(opt), used=sc.options.used, eco=eco)
    out = training.pretrain(x)
    host = hosting.run_costs_inputs(cat, eco, gpu, gpus, sc.options.used)
    fits = np.asarray(out["fits"]) & (np.asarray(host["fits"]) | (opt.kind != OWN))
    where = f"{int(np.max(gpus))}x {gpu.id}"
    notes = value_notes(f"pre-training takes {{:,.0f}} days on {where}", out["wall_hours"] / 24.0, fits)
    if opt.kind == OWN:
        cost, extra_notes = _owned_run(cat, sc, gpu, gpus, fleet_gpus, out)
        notes += extra_notes
    else:
        cost = out["cost_rented_usd"]
    notes += value_notes("pre-training costs ${:,.0f}", cost, fits)
    if not np.all(out["fits"]):
        need = np.max(out["min_gpus"])
        notes.append((f"pre-training needs {'never' if not np.isfinite(need) else int(need)}x {gpu.id} to fit", ~np.asarray(out["fits"])))
    if opt.kind == OWN:
        notes += text_notes(host["reason"], ~np.asarray(host["fits"]))
    return Training(np.where(fits, cost, 0.0), start_months=np.where(fits, out["wall_hours"] / money.HOURS_PER_MONTH, 0.0),
                    fits=fits, notes=tuple(notes))


def _owned_run(cat: Catalog, sc: Scenario, gpu: Gpu, gpus: Any, fleet_gpus: Any, out: Mapping[str, Any]) -> tuple[Any, list[Note]]:
    """An owned run's cost to the option: its energy, and the GPUs beyond the serving fleet rented or bought."""
    extra = np.maximum(gpus - np.asarray(fleet_gpus, dtype=float), 0.0)
    share = extra / gpus
    mode = sc.lifecycle.extra_gpus if sc.lifecycle is not None else "rent"
    offer = inputs.cheapest_rental(cat, gpu.id, ("on-demand",)) if mode == "rent" else None
    if offer is not None:
        cost = out["energy_usd"] * (1.0 - share) + extra * out["wall_hours"] * offer.usd_per_gpu_hour
        how = f"rented for the run ({offer.id} at ${offer.usd_per_gpu_hour:g}/GPU-h)"
    else:
        cost = out["energy_usd"] + share * (out["depreciation_usd"] + out["upkeep_usd"])
        how = "bought for the run and sold after it" + (f" (no on-demand offer of {gpu.id})" if mode == "rent" else "")
    return cost, value_notes(f"{{:,.0f}} {gpu.id} beyond the serving fleet {how}", extra, extra > 0)


def _finetune(cat: Catalog, sc: Scenario, eco: Mapping[str, Any], opt: Option, gpu: Gpu, model: Model, count: Any) -> Training:
    ft = sc.lifecycle.finetune if sc.lifecycle is not None else None
    assert ft is not None
    x = inputs.finetune_inputs(cat, model, gpu, count, ft.method, rank=ft.rank, tokens=ft.tokens, epochs=ft.epochs, rate=_rate(opt),
                               used=sc.options.used, eco=eco)
    out = training.finetune(x)
    fits = np.asarray(out["fits"])
    cost = np.where(fits, out["energy_usd"] if opt.kind == OWN else out["cost_rented_usd"], 0.0)
    notes = value_notes(f"{ft.method} fine-tune {{:.1f}} h a run", out["wall_hours"], fits)
    notes += value_notes(f"{ft.method} fine-tune costs ${{:,.2f}} a run" + (" (energy)" if opt.kind == OWN else ""), cost, fits)
    if not np.all(fits):
        notes.append((f"{ft.method} fine-tune does not fit on {opt.label(int(np.max(count)))}", ~fits))
    return Training(cost, cost if ft.every_months else 0.0, ft.every_months or 0.0,
                    np.where(fits, out["wall_hours"] / money.HOURS_PER_MONTH, 0.0), fits, tuple(notes))
