"""`llmcost pretrain`, `llmcost finetune`, `llmcost serve`: the engine's three estimates."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from llmcost import api, prices
from llmcost.cli.common import (
    ColumnsOpt,
    ExplainOpt,
    FormatOpt,
    GpuOpt,
    MaxPriceAgeOpt,
    ModelOpt,
    OutputOpt,
    ProfilesOpt,
    SetOpt,
    UsedOpt,
    WideOpt,
    check_format,
    emit,
    inputs,
    load_catalog,
)
from llmcost.render import human

RateOpt = Annotated[str | None, typer.Option("--usd-per-gpu-hour", help="Rental price to use instead of the cheapest offer.")]
MfuOpt = Annotated[str | None, typer.Option("--mfu", metavar="FRACTION", help="Model FLOPs utilisation instead of the default for the setting.")]

# Output layer: each table's columns, most important first (a narrow terminal drops them from the end).
PRETRAIN_TABLE = ("gpu", "gpus", "fits", "wall_days", "cost_rented_usd", "cost_owned_usd", "gpu_hours", "reported_gpu_hours", "flops",
                  "reported_flops", "energy_kwh", "reported_energy_kwh", "gpu_energy_kwh", "memory_per_gpu_gib", "min_gpus", "capex_usd",
                  "wall_hours", "mfu", "tokens", "model", "host", "rental", "reported_gpu", "reason")
FINETUNE_TABLE = ("option", "kind", "gpus", "fits", "cost_owned_usd", "cost_rented_usd", "cost_api_usd", "tokens", "epochs", "wall_hours",
                  "memory_per_gpu_gib", "tokens_per_s", "gpu_hours", "energy_kwh", "capex_usd", "dataset_tokens", "trainable_params",
                  "checkpointing", "flops", "method", "host", "rental", "gpu_energy_kwh", "model", "gpu", "api", "reason")
SERVE_TABLE = ("gpu", "gpus", "fits", "usd_per_mtok", "output_tokens_per_s", "tpot_s", "ttft_s", "itl_s", "requests_per_s", "concurrency",
               "max_concurrency", "decode_tokens_per_s", "prefill_tokens_per_s", "weights_gib", "kv_mib_per_sequence", "usd_per_mtok_rented",
               "parallelism", "quantization", "engine", "bound", "host", "rental", "model", "reason")


def pretrain(model: ModelOpt, gpu: GpuOpt = None,
             gpus: Annotated[str | None, typer.Option("--gpus", help="GPU count (default: the fewest that fit).")] = None,
             tokens: Annotated[str | None, typer.Option("--tokens", help="Training tokens, e.g. 1.4T (default: the model's).")] = None,
             seq_len: Annotated[str | None, typer.Option("--seq-len", metavar="N", help="Sequence length (default: model context up to 8k).")] = None,
             mfu: MfuOpt = None, usd_per_gpu_hour: RateOpt = None, used: UsedOpt = False, fmt: FormatOpt = None,
             output: OutputOpt = None, explain: ExplainOpt = False, profiles: ProfilesOpt = None, sets: SetOpt = None,
             max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
             columns: ColumnsOpt = None, wide: WideOpt = False) -> None:
    """Pre-training FLOPs, GPU-hours, wall days, energy, owned and rented cost, fit, and reported figures."""
    fmt = check_format(fmt, output, inputs=inputs(profiles))
    cat = load_catalog(profiles, sets)
    est = api.pretrain(model, gpu, gpus=gpus, tokens=tokens, seq_len=seq_len, mfu=mfu, usd_per_gpu_hour=usd_per_gpu_hour, used=used,
                       catalog=cat)
    prices.warn_if_stale(cat, prices.rows_prices(est.rows(), used), max_price_age_days)
    emit(est.rows(), fmt, output, title=f"pre-training {model}", explanation=est.explanation.text() if explain else None,
         table=PRETRAIN_TABLE, columns=columns, wide=wide, inputs=inputs(profiles))


def finetune(model: ModelOpt, gpu: GpuOpt = None,
             method: Annotated[str, typer.Option("--method", help="full, lora or qlora.")] = "lora",
             rank: Annotated[str | None, typer.Option("--rank", metavar="N", help="LoRA rank (default from assumptions).")] = None,
             targets: Annotated[str, typer.Option("--targets", help="LoRA targets: qv, attention, or all (attention + MLP).")] = "all",
             batch: Annotated[str | None, typer.Option("--batch", metavar="N", help="Micro-batch per GPU.")] = None,
             seq_len: Annotated[str | None, typer.Option("--seq-len", metavar="N", help="Sequence length.")] = None,
             checkpointing: Annotated[bool | None, typer.Option(
                 "--checkpointing/--no-checkpointing", help="Activation checkpointing (default: only when needed to fit).")] = None,
             tokens: Annotated[str | None, typer.Option("--tokens", help="Dataset tokens, e.g. 20M; trained tokens = this x --epochs.")] = None,
             epochs: Annotated[str | None, typer.Option("--epochs", metavar="N", help="Passes over the dataset (default from "
                                                                       "assumptions: finetune_epochs).")] = None,
             api_ids: Annotated[list[str] | None, typer.Option("--api", "-a", help="Also price this API's fine-tuning (repeatable).")] = None,
             shard: Annotated[bool | None, typer.Option(
                 "--shard/--no-shard", help="Shard weights and states across the GPUs (FSDP/ZeRO-3; default: on with several GPUs).")] = None,
             offload: Annotated[bool, typer.Option("--offload", help="Keep weights and optimizer states in CPU memory (FSDP CPU offload).")] = False,
             optimizer: Annotated[str, typer.Option("--optimizer", help="adamw, adamw8bit or paged-adamw8bit (full fine-tuning states).")] = "adamw",
             optimizer_in_backward: Annotated[bool, typer.Option(
                 "--optimizer-in-backward", help="Step the optimizer per layer in the backward pass (no full gradient buffer).")] = False,
             loss: Annotated[str, typer.Option("--loss", help="Cross-entropy over the vocabulary: chunked (torchtune), full (FP32 "
                                                              "logits, Hugging Face) or fused (Liger, Unsloth).")] = "chunked",
             mfu: MfuOpt = None, usd_per_gpu_hour: RateOpt = None, used: UsedOpt = False, fmt: FormatOpt = None,
             output: OutputOpt = None, explain: ExplainOpt = False, profiles: ProfilesOpt = None, sets: SetOpt = None,
             max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
             columns: ColumnsOpt = None, wide: WideOpt = False) -> None:
    """Fine-tuning (LoRA, QLoRA, full): trainable params, memory per GPU, fit, hours, energy, owned/rented/API cost."""
    fmt = check_format(fmt, output, inputs=inputs(profiles))
    cat = load_catalog(profiles, sets)
    est = api.finetune(model, gpu, method=method, rank=rank, targets=targets, batch=batch, seq_len=seq_len, checkpointing=checkpointing,
                       tokens=tokens, epochs=epochs, api=api_ids, shard=shard, offload=offload, optimizer=optimizer,
                       optimizer_in_backward=optimizer_in_backward, loss=loss, mfu=mfu, usd_per_gpu_hour=usd_per_gpu_hour, used=used, catalog=cat)
    prices.warn_if_stale(cat, prices.rows_prices(est.rows(), used), max_price_age_days)
    rows = est.rows()
    emit(rows, fmt, output, title=f"{method} fine-tuning {model}: {trained_tokens(rows)}",
         explanation=est.explanation.text() if explain else None, table=FINETUNE_TABLE, columns=columns, wide=wide,
         inputs=inputs(profiles))


def trained_tokens(rows: list[dict[str, Any]]) -> str:
    """'50M dataset tokens x 3 epochs = 150M trained tokens' (the same on every finetune row)."""
    if not rows:
        return "no option"
    r = rows[0]
    epochs = r["epochs"]
    return (f"{human(r['dataset_tokens'])} dataset tokens x {epochs:g} epoch{'' if epochs == 1 else 's'} = "
            f"{human(r['tokens'])} trained tokens")


def serve(model: ModelOpt, gpu: GpuOpt = None,
          quant: Annotated[str, typer.Option("--quant", "-q", help="Weight format: bf16, fp16, fp8, int8, q8_0, q4_k_m, awq-int4, 4.0bpw, ...")] = "q4_k_m",
          engine: Annotated[str, typer.Option("--engine", "-e", help="llama.cpp, vllm, exllamav2, tensorrt-llm, mlc-llm, or auto.")] = "auto",
          concurrency: Annotated[str, typer.Option("--concurrency", "-c", help="Sequences decoded together, or auto.")] = "auto",
          input_tokens: Annotated[str | None, typer.Option("--input-tokens", help="Prompt tokens per request.")] = None,
          output_tokens: Annotated[str | None, typer.Option("--output-tokens", help="Generated tokens per request.")] = None,
          max_tpot_ms: Annotated[str | None, typer.Option("--max-tpot-ms", metavar="MS", help="Latency target: most ms per decode "
                                                          "step (tpot_s).")] = None,
          cached_share: Annotated[float, typer.Option("--cached-share", min=0.0, max=1.0,
                                                      help="Share of each prompt that is an already cached prefix.")] = 0.0,
          used: UsedOpt = False, fmt: FormatOpt = None, output: OutputOpt = None, explain: ExplainOpt = False,
          profiles: ProfilesOpt = None, sets: SetOpt = None,
          max_price_age_days: MaxPriceAgeOpt = prices.DEFAULT_MAX_PRICE_AGE_DAYS,
          columns: ColumnsOpt = None, wide: WideOpt = False) -> None:
    """Weights and KV memory, max concurrency, prefill and decode tokens/s, TTFT, TPOT (the decode step), ITL (time
    between tokens including other requests' prefills), $ per 1M tokens."""
    fmt = check_format(fmt, output, inputs=inputs(profiles))
    cat = load_catalog(profiles, sets)
    est = api.serve(model, gpu, quant=quant, engine=engine, concurrency=concurrency, input_tokens=input_tokens,
                    output_tokens=output_tokens, max_tpot_ms=max_tpot_ms, cached_share=cached_share, used=used, catalog=cat)
    prices.warn_if_stale(cat, prices.rows_prices(est.rows(), used), max_price_age_days)
    emit(est.rows(), fmt, output, title=f"serving {model}", explanation=est.explanation.text() if explain else None,
         table=SERVE_TABLE, columns=columns, wide=wide, inputs=inputs(profiles))
