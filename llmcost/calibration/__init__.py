"""`llmcost calibrate`: engine efficiencies for one GPU fitted to benchmark runs the user made on it.

    result files -> benchfiles.read (measured runs) -> checked against the catalogue (GPU named in the
    file, model, weight format, engine) -> fit.fit per (engine, format) -> Calibration records -> a user
    profile (profile_text) whose sources are the files' names and sha256 hashes.

Passed back with `--profiles`, the profile makes `serve` reproduce the measured figures at the measured
shapes, and moves other shapes as the engine does with those efficiencies (inputs.engine_efficiencies).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import yaml

from llmcost import inputs
from llmcost.calibration import benchfiles, fit
from llmcost.calibration.benchfiles import Run
from llmcost.catalog import Catalog
from llmcost.errors import LlmcostError
from llmcost.results import Table, text_column
from llmcost.schema import CALIBRATED_EFFICIENCIES, Calibration, Gpu, MeasuredRun, Model

MODEL_MATCH = 0.02
"""Largest relative difference between a file's parameter count and a catalogue model's (GGUF counts
include or leave out tied embeddings and norms; 2% covers them and keeps Falcon 7B (6.92B) apart from LLaMA 7B (6.74B))."""
FIT_CHECK = 0.001
"""A fitted figure further than this from the measured one (several runs of one efficiency that
disagree) is reported in the `fitted_error` column."""


@dataclass
class Calibrated:
    """calibrate's result: the calibration records, a report row per measured figure, and notes."""

    records: list[Calibration]
    table: Table
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """Exactly the rows of `llmcost calibrate --format json` (the report on stdout)."""
        return self.table.rows()

    def profile_text(self, command: str = "llmcost calibrate") -> str:
        """The user profile to pass with --profiles."""
        head = [f"# Written by `{command}`: engine efficiencies fitted to your own runs.",
                "# Pass this file with --profiles (or LLMCOST_PROFILES); rerun calibrate on the same result files",
                "# after updating llmcost, since the fit inverts its serving engine."]
        body = yaml.safe_dump({"calibrations": [_plain(r) for r in self.records]}, sort_keys=False, width=120, allow_unicode=True)
        return "\n".join(head) + "\n" + body


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not None and getattr(value, f.name) != ()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def calibrate(cat: Catalog, paths: Sequence[str], gpu_id: str, model_id: str | None = None, engine_id: str | None = None,
              quant_id: str | None = None, today: datetime.date | None = None) -> Calibrated:
    """Calibrations of `gpu_id` from the result files at `paths` (one per engine and weight format found)."""
    if not paths:
        raise LlmcostError("give at least one result file (llama-bench -o json/jsonl, or vLLM --save-result JSON)")
    gpu: Gpu = cat.get("gpus", gpu_id)
    fixed_model: Model | None = cat.get("models", model_id) if model_id else None
    base = Catalog(entries={**cat.entries, "calibrations": {}}, assumptions=cat.assumptions, where=cat.where)
    runs: list[Run] = []
    notes: list[str] = []
    for p in paths:
        found, skipped = benchfiles.read(p)
        runs += found
        notes += [f"skipped {s}" for s in skipped]
    if not runs:
        raise LlmcostError(f"no usable test in {', '.join(paths)}: {notes[0] if notes else 'empty'}")
    groups: dict[tuple[str, str], list[tuple[Run, Model]]] = {}
    for run in runs:
        check_gpu(run, gpu)
        model = fixed_model or match_model(cat, run)
        check_model(run, model)
        quant = quant_id or run.quant
        if quant is None:
            what = f"weight format {run.notes[0].split(' ', 2)[-1]}" if run.notes else "the weight format"
            raise LlmcostError(f"{run.entry}: {what} has no llmcost quantization; pass --quant ID (llmcost profiles list quantizations)")
        engine = inputs.engine_for(cat, engine_id or run.engine or "auto", cat.get("quantizations", quant), gpu)
        inputs.check_group(gpu, run.tensor_parallel)
        notes += [f"{run.entry}: {n}" for n in run.notes if not n.startswith("weight format")]
        groups.setdefault((engine.id, quant), []).append((run, model))
    records, report = [], []
    for (engine_id_, quant), members in groups.items():
        record, rows = _calibrate_group(base, gpu, engine_id_, quant, members, today)
        records.append(record)
        report += rows
    return Calibrated(records, _report_table(report), notes)


def check_gpu(run: Run, gpu: Gpu) -> None:
    """The file must name the GPU calibrated, on one device (a llama-bench layer split is not one GPU's speed)."""
    devices = benchfiles.device_names(run.gpu_info)
    if len(devices) > 1 and run.file.kind.startswith("llama-bench"):
        raise LlmcostError(f"{run.entry}: ran on {len(devices)} devices ({run.gpu_info}); calibrate takes single-GPU runs "
                           "(select one with llama-bench -dev, or CUDA_VISIBLE_DEVICES)")
    if not all(benchfiles.names_gpu(d, gpu.id, gpu.name) for d in devices):
        raise LlmcostError(f"{run.entry}: ran on {run.gpu_info!r}, which is not {gpu.id} ({gpu.name}); "
                           "pass the --gpu the file names")


def match_model(cat: Catalog, run: Run) -> Model:
    """The catalogue model the file ran: by parameter count (llama-bench) or by id (vLLM's model_id)."""
    if run.model_params is None:
        wanted = _model_key(run.model_text)
        if wanted not in cat.entries["models"]:
            raise LlmcostError(f"{run.entry}: model {run.model_text!r} is not in the catalogue; pass --model ID "
                               "(llmcost profiles list models) or add a model profile")
        by_id: Model = cat.entries["models"][wanted]
        return by_id
    near = [m for m in cat.entries["models"].values() if abs(m.params_b * 1e9 / run.model_params - 1.0) <= MODEL_MATCH]
    if not near:
        raise LlmcostError(f"{run.entry}: model {run.model_text!r} ({run.model_params / 1e9:.2f}B parameters) is not in the "
                           "catalogue; pass --model ID or add a model profile")
    if len(near) > 1:
        raise LlmcostError(f"{run.entry}: {run.model_params / 1e9:.2f}B parameters fits {', '.join(m.id for m in near)}; "
                           "pass --model ID")
    result: Model = near[0]
    return result


def _model_key(model_id: str) -> str:
    """'meta-llama/Llama-3.1-8B-Instruct' -> 'llama-3.1-8b': the catalogue's id style."""
    name = model_id.rstrip("/").split("/")[-1].lower()
    for suffix in ("-instruct", "-chat", "-hf", "-it", "-base"):
        name = name.removesuffix(suffix)
    return name


def check_model(run: Run, model: Model) -> None:
    if run.model_params is not None and abs(model.params_b * 1e9 / run.model_params - 1.0) > MODEL_MATCH:
        raise LlmcostError(f"{run.entry}: the file's model has {run.model_params / 1e9:.2f}B parameters; --model {model.id} "
                           f"has {model.params_b:g}B")
    if run.gpu_layers is not None and 0 < run.gpu_layers < model.layers:
        raise LlmcostError(f"{run.entry}: {run.gpu_layers} of {model.layers} layers on the GPU (-ngl); calibrate takes runs "
                           "with every layer on the GPU")


def _calibrate_group(cat: Catalog, gpu: Gpu, engine_id: str, quant: str, members: list[tuple[Run, Model]],
                     today: datetime.date | None) -> tuple[Calibration, list[dict[str, Any]]]:
    targets, measured_runs = [], []
    for run, model in members:
        row = inputs.serve_inputs(cat, model, gpu, float(run.tensor_parallel), quant, engine_id, run.input_tokens,
                                  run.output_tokens, float(run.concurrency), None)
        for quantity, value in run.measured.items():
            targets.append(fit.Target(row, quantity, value, f"{run.entry} ({model.id} {run.test} {quantity})"))
            measured_runs.append(MeasuredRun(source=run.entry, model=model.id, quantity=quantity, measured=value,
                                             input_tokens=run.input_tokens, output_tokens=run.output_tokens,
                                             concurrency=run.concurrency))
    start = {k: float(targets[0].row[k]) for k in CALIBRATED_EFFICIENCIES}
    fitted = fit.fit(targets, start)
    fitted = {k: float(f"{v:.4g}") for k, v in fitted.items()}  # 4 digits move a figure by < 0.01%
    files = {run.file.name: run.file for run, _ in members}
    file_text = "; ".join(f"{f.kind}: {f.name} (sha256 {f.sha256})" for f in files.values())
    srcs = {"default": file_text}
    for name in fitted:
        used = [t for t in targets if _sets(t, name, {**start, **fitted})]
        hashes = ", ".join(f"{f.name} sha256 {f.sha256[:16]}" for f in files.values() if any(t.label.startswith(f.name) for t in used))
        srcs[name] = f"{'; '.join(t.label for t in used)} [{hashes}]"
    dates = sorted({run.date for run, _ in members if run.date})
    record = Calibration(id=f"{gpu.id}/{engine_id}/{quant}", gpu=gpu.id, engine=engine_id, quantization=quant,
                         as_of=dates[-1] if dates else (today or datetime.date.today()).isoformat(),
                         bandwidth_efficiency=fitted.get("bandwidth_efficiency"), compute_efficiency=fitted.get("compute_efficiency"),
                         prefill_efficiency=fitted.get("prefill_efficiency"), runs=tuple(measured_runs), sources=srcs)
    with_fit = fit.predict(targets, {**start, **fitted})
    defaults = fit.predict(targets, start)
    rows = []
    for i, (t, m) in enumerate(zip(targets, measured_runs, strict=True)):
        value = float(with_fit[t.quantity][i])
        rows.append({"calibration": record.id, "source": m.source, "model": m.model, "quantity": t.quantity,
                     "measured": t.measured, "fitted": value, "fitted_error": value / t.measured - 1.0,
                     "default": float(defaults[t.quantity][i]), "default_error": float(defaults[t.quantity][i]) / t.measured - 1.0,
                     "efficiency": "checked" if t.quantity not in fit.FITTED else fit.knob(t, with_fit, i),
                     "value": np.nan if t.quantity not in fit.FITTED else fitted.get(fit.knob(t, with_fit, i), np.nan)})
    return record, rows


def _sets(t: fit.Target, name: str, knobs: dict[str, float]) -> bool:
    if t.quantity not in fit.FITTED:
        return False
    out = fit.predict([t], knobs)
    return fit.knob(t, out, 0) == name


REPORT_KEYS = ("calibration", "source", "model", "quantity", "measured", "fitted", "fitted_error", "default", "default_error",
               "efficiency", "value")


def _report_table(rows: list[dict[str, Any]]) -> Table:
    cols: dict[str, np.ndarray] = {}
    for k in REPORT_KEYS:
        values = [r[k] for r in rows]
        cols[k] = text_column(values) if isinstance(values[0], str) else np.array(values, dtype=float)
    return Table(cols)
