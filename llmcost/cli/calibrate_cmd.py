"""`llmcost calibrate RESULTS... --gpu ID -o FILE.yaml`: efficiencies fitted to your own benchmark runs."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from llmcost import api, catalog, render
from llmcost.cli.common import FormatOpt, ProfilesOpt, check_format, emit, inputs, load_catalog
from llmcost.errors import LlmcostError

ResultsArg = Annotated[list[str], typer.Argument(help="llama-bench -o json / -o jsonl output, or vLLM benchmark_serving.py "
                                                      "--save-result JSON (the run's GPU given with --metadata gpu=...).",
                                                 metavar="RESULTS", show_default=False)]
GpuIdOpt = Annotated[str, typer.Option("--gpu", "-g", help="GPU id the runs were made on (llmcost profiles list gpus).",
                                       show_default=False)]
ProfileOutOpt = Annotated[str, typer.Option("--output", "-o", help="User profile to write (YAML), for --profiles.", show_default=False)]


def calibrate_command(results: ResultsArg, gpu: GpuIdOpt, output: ProfileOutOpt,
                      model: Annotated[str | None, typer.Option("--model", "-m", help="Model id the runs used (default: "
                                                                "matched by parameter count or vLLM model_id).")] = None,
                      engine: Annotated[str | None, typer.Option("--engine", "-e", help="Engine id (default: from the "
                                                                 "llama-bench backend, or vllm).")] = None,
                      quant: Annotated[str | None, typer.Option("--quant", "-q", help="Weight format id (default: from the "
                                                                "llama-bench model_type, or vLLM --metadata quantization=...).")] = None,
                      fmt: FormatOpt = None, profiles: ProfilesOpt = None) -> None:
    """Fit engine efficiencies for one GPU to llama-bench or vLLM results and write them as a user profile."""
    fmt = check_format(fmt)  # the table printed on stdout; the profile goes to --output
    if Path(output).suffix not in (".yaml", ".yml"):
        raise LlmcostError(f"--output {output!r}: give a .yaml file (the profile to pass with --profiles)")
    render.check_output(output, inputs(results, profiles))
    cat = load_catalog(profiles)
    result = api.calibrate(results, gpu=gpu, model=model, engine=engine, quant=quant, catalog=cat)
    text = result.profile_text(f"llmcost calibrate {' '.join(Path(r).name for r in results)} --gpu {gpu}")
    with tempfile.TemporaryDirectory() as tmp:  # the profile must load beside the user's before it replaces anything
        probe = Path(tmp) / "calibration.yaml"
        probe.write_text(text, encoding="utf-8")
        catalog.load([*catalog.user_profile_paths(profiles or ()), probe])
    with render.output_stream(output, inputs(results, profiles)) as out:
        out.write(text)
    for note in result.notes:
        sys.stderr.write(f"llmcost: note: {note}\n")
    ids = ", ".join(r.id for r in result.records)
    sys.stderr.write(f"llmcost: wrote {ids} to {output}; use it with --profiles {output}\n")
    emit(result.rows(), fmt, None, title=f"calibration of {gpu}")
