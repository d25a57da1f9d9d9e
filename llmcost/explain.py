"""`--explain`: each intermediate quantity with its formula, and every assumption with value and source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from llmcost import hosting, inputs
from llmcost.catalog import Catalog, gpu_price_usd
from llmcost.engine import memory
from llmcost.price_trace import gpu_price
from llmcost.prices import today
from llmcost.render import money
from llmcost.schema import CALIBRATED_EFFICIENCIES

OWNED_COSTS = ("electricity_usd_per_kwh", "electricity_usd_per_kwh_commercial", "electricity_usd_per_kwh_industrial", "pue",
               "pue_datacenter", "lifetime_months", "psu_headroom_fraction", "ops_hours_per_month", "ops_usd_per_hour",
               "colocation_usd_per_kw_month", "gpu_annual_failure_rate")
"""Assumptions behind every owned cost: site tariffs and PUE, depreciation, host choice, upkeep."""
TRAINING_CLUSTER = ("cluster_network_fraction", "spare_gpu_fraction")

_ASSUMED = {
    "pretrain": ("optimizer_bytes_per_param", "activation_bytes_per_token_hidden", "checkpoint_bytes_per_token_hidden",
                 "training_overhead_gib", "gpus_per_host", "pretrain_seq_len_max", *OWNED_COSTS, *TRAINING_CLUSTER),
    "finetune": ("adamw_state_bytes_per_param", "adamw8bit_state_bytes_per_param", "offload_pcie_efficiency",
                 "trainable_bytes_per_param", "activation_bytes_per_token_hidden",
                 "checkpoint_bytes_per_token_hidden", "training_overhead_gib", "qlora_compute_overhead", "lora_rank",
                 "finetune_dataset_tokens", "finetune_epochs", *OWNED_COSTS, *TRAINING_CLUSTER),
    "serve": ("usable_memory_fraction", "runtime_overhead_gib", "kv_cache_bytes", *OWNED_COSTS),
}


def _g(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, float, np.floating, np.integer)):
        return f"{float(v):,.6g}"
    return str(v)


class Explanation:
    """Lines of `quantity = value   <- formula` per row, then the assumptions with their sources."""

    def __init__(self, cat: Catalog, command: str, bought_used: bool = False) -> None:
        self.cat = cat
        self.command = command
        self.bought_used = bought_used  # --used: owned GPUs at their used-market price
        self.lines: list[str] = []
        self.used: set[str] = set(_ASSUMED.get(command, ()))
        self.pending: list[Callable[[], None]] = []

    def later(self, write: Callable[[], None]) -> None:
        """Defer writing lines until `text()` is asked for: most runs never show their explanation."""
        self.pending.append(write)

    def add(self, name: str, value: Any, how: str) -> None:
        self.lines.append(f"  {name} = {_g(value)}    <- {how}")

    def head(self, text: str) -> None:
        self.lines.append(text)

    def assume(self, *names: str) -> None:
        self.used.update(names)

    def text(self) -> str:
        for write in self.pending:
            write()
        self.pending = []
        out = list(self.lines)
        out.append("assumptions used (profiles/assumptions.yaml unless overridden):")
        for name in sorted(self.used):
            a = self.cat.assumptions[name]
            out.append(f"  {name} = {_g(a.value)} {a.unit or ''}".rstrip() + f"    [{a.source}] {a.rationale}")
        return "\n".join(out) + "\n"

    # -------------------------------------------------------------------------------- per command

    def _model(self, model: Any, x: dict[str, Any]) -> None:
        src = (model.sources or {}).get("params_b") or (model.sources or {}).get("default", "models profile")
        self.add("N (total parameters)", x["params"], f"models/{model.id}.params_b x 1e9 [{src}]")
        self.add("N_a (active parameters)", x["active_params"], "N - (experts - experts_per_token) x expert_params")
        self.add("L, d_model", f"{x['layers']:.0f}, {x['d_model']:.0f}", f"models/{model.id}")

    def _gpu(self, ch: Any) -> None:
        src = (ch.gpu.sources or {}).get("tflops_bf16") or (ch.gpu.sources or {}).get("default", "gpus profile")
        self.add(f"{ch.gpu.id} BF16 dense peak (TFLOPS)", ch.gpu.tflops_bf16, f"gpus/{ch.gpu.id}.tflops_bf16 [{src}]")

    def _price(self, ch: Any) -> None:
        """The GPU's purchase price that enters capex: new or used, with its date and the line it was read from."""
        loc = self.cat.where.get(("gpus", ch.gpu.id))
        self.add(f"{ch.gpu.id} price (USD)", gpu_price_usd(ch.gpu, self.bought_used),
                 gpu_price(ch.gpu, self.bought_used, today()) + (f" [{loc.path}:{loc.line}]" if loc else ""))

    def _costs(self, x: dict[str, Any], out: dict[str, np.ndarray], i: int, rate_src: str, ch: Any) -> None:
        self.add("energy_kwh", out["energy_kwh"][i], f"GPU-hours x (board W + host {x['host_power_w_per_gpu']:,.0f} W per GPU) x "
                 f"PUE {x['pue']:g} / 1000 (LLaMA sec. 6); hosts from profiles/hosts.yaml")
        self._price(ch)
        price = gpu_price_usd(ch.gpu, self.bought_used)
        self.add("capex_usd", out["capex_usd"][i], f"{x['gpus']:g} GPUs x ({money(price)} + {money(x['capex_usd_per_gpu'] - price)} "
                 f"per GPU for the host share, and over several boxes the network and spares) = {x['gpus']:g} x "
                 f"{money(x['capex_usd_per_gpu'])}")
        self.add("depreciation_usd", out["depreciation_usd"][i], f"capex x (1 - book value after the run's months: 1 - (1 - resale "
                 f"{x['resale_fraction']:g}) x months / lifetime {x['lifetime_months']:g}, at least the resale share)")
        self.add("energy_usd", out["energy_usd"][i], f"kWh x ${x['electricity_usd_per_kwh']:g} (the site's tariff)")
        self.add("upkeep_usd", out["upkeep_usd"][i], f"gpus x ${x['upkeep_usd_per_gpu_month']:,.2f} per GPU-month (operations, "
                 "colocation in a datacenter, failed cards) x wall months")
        self.add("cost_owned_usd", out["cost_owned_usd"][i], "depreciation + energy + upkeep")
        self.add("cost_rented_usd", out["cost_rented_usd"][i], f"GPU-hours x ${x['rental_usd_per_gpu_hour']:g}/GPU-h [{rate_src}]")

    def pretrain(self, model: Any, ch: Any, x: dict[str, Any], out: dict[str, np.ndarray], i: int, rate_src: str) -> None:
        self.head(f"pretrain {model.id} on {ch.label}:")
        self._model(model, x)
        self._gpu(ch)
        self.add("FLOPs per token", out["flops_per_token"][i], f"6 N_a + 12 L d T with T = {x['seq_len']:.0f} (PaLM App. B)")
        self.add("flops", out["flops"][i], f"per token x D = {x['tokens']:,.4g} tokens")
        self.add("mfu", x["mfu"], "assumptions: mfu_single_gpu / mfu_nvlink / mfu_pcie by GPU count and interconnect")
        self.add("gpu_hours", out["gpu_hours"][i], "flops / (peak x 1e12 x MFU) / 3600")
        self.add("wall_hours", out["wall_hours"][i], f"gpu_hours / {x['gpus']:.0f} GPUs")
        self.add("memory_per_gpu_gib", out["memory_per_gpu_gib"][i],
                 "16 B/param x N / G (ZeRO) + checkpointed activations / min(G, gpus_per_host) + overhead")
        self._costs(x, out, i, rate_src, ch)
        self.assume("mfu_single_gpu", "mfu_nvlink", "mfu_pcie")

    def finetune(self, model: Any, ch: Any, x: dict[str, Any], out: dict[str, np.ndarray], i: int, rate_src: str) -> None:
        self.head(f"finetune {model.id} on {ch.label}:")
        self._model(model, x)
        self._gpu(ch)
        self.add("trainable_params", x["trainable_params"], "full: N; LoRA: sum over adapted matrices of r (d_in + d_out) x L (Hu et al. sec. 4)")
        self.add("checkpointing", bool(out["checkpointing"][i]), "as asked, or auto: on only when the run does not fit without it")
        self.add("FLOPs per token", out["flops_per_token"][i],
                 "full 6 N_a + 12 L d T; LoRA 4 N_a + 12 L d T + 6 x trainable; +2 N_a + 4 L d T with checkpointing; x QLoRA overhead")
        self.add("mfu", x["mfu"], "mfu_single_gpu within one host (the collectives below are modelled), else the cluster MFU")
        moves = (f"the offload stream at {x['offload_gb_per_s']:g} GB/s" if x["offload"] else "") + (
            (" + " if x["offload"] else "") + ("FSDP all-gathers (weights twice) and reduce-scatters (gradients) per layer"
                                               if x["shard"] else "gradient all-reduces per layer") + f" over {ch.gpu.interconnect}"
            if x["gpus"] > 1 else "")
        self.add("tokens_per_s", out["tokens_per_s"][i], f"GPUs x peak x MFU {x['mfu']:g} / FLOPs per token"
                 + (f", or {moves} when slower" if moves else ""))
        how = ("full: N x (BF16 weights + gradients" + (" of one layer" if x["optimizer_in_backward"] else "")
               + (" + optimizer states" if not x["paged_states"] else ", states paged to CPU") + f" {x['optimizer_state_bytes_per_param']:g} B)"
               if x["method_full"] else f"base at {x['base_bits_per_weight']:g} bits + {x['trainable_bytes_per_param']:g} B x trainable")
        spread = ("in CPU memory, two gathered layers on the GPU" if x["offload"]
                  else f"/ {x['gpus']:.0f} GPUs (FSDP/ZeRO-3) + two gathered layers" if x["shard"] else "on every GPU")
        self.add("memory_per_gpu_gib", out["memory_per_gpu_gib"][i], f"{how} {spread} + activations + overhead")
        self.add("tokens", x["tokens"], "dataset tokens x epochs (--tokens x --epochs; defaults finetune_dataset_tokens, finetune_epochs)")
        self.add("loss logits (GiB)", x["batch"] * x["seq_len"] * x["vocab"] * x["bytes_per_logit"] / memory.GIB,
                 f"batch x seq x vocab {x['vocab']:.0f} x {x['bytes_per_logit']:g} B per logit (--loss; freed before the "
                 "checkpointed layers recompute)")
        self.add("gpu_hours", out["gpu_hours"][i], f"{x['tokens']:,.4g} tokens x FLOPs per token / (peak x MFU) / 3600")
        self._costs(x, out, i, rate_src, ch)
        self.assume("mfu_single_gpu", "mfu_nvlink", "mfu_pcie", "finetune_batch", "finetune_seq_len", "loss_bytes_per_logit_full",
                    "loss_bytes_per_logit_chunked", "loss_bytes_per_logit_fused")

    def finetune_api(self, api: Any, trained_tokens: float, cost: float | None) -> None:
        """An API's fine-tuning: its price per 1M trained tokens, with its date and file line, times the tokens."""
        self.head(f"finetune via {api.id}:")
        loc = self.cat.where.get(("apis", api.id))
        at = f" [{loc.path}:{loc.line}, as_of {api.as_of}]" if loc else f" [as_of {api.as_of}]"
        if cost is None:
            self.lines.append(f"  cost_api_usd = n/a    <- {api.id} sells no fine-tuning (no finetune_train_usd_per_mtok){at}")
            return
        self.add("cost_api_usd", cost, f"{money(api.finetune_train_usd_per_mtok)} per 1M trained tokens (finetune_train_usd_per_mtok) "
                 f"x {trained_tokens:,.4g} tokens / 1e6{at}")

    def serve_cost(self, ch: Any, own_usd_per_hour: float | None, rent_usd_per_hour: float | None, rental: str,
                   usd_per_mtok: float) -> None:
        """serve's $ per 1M tokens: the replica's owned cost per hour from its price, and the rental rate."""
        self._price(ch)
        box = hosting.replica_costs(self.cat, hosting.economics(self.cat, None), ch.gpu, float(ch.count), self.bought_used)
        price = gpu_price_usd(ch.gpu, self.bought_used)
        self.add("replica capex (USD)", box["capex_usd"], f"{ch.count} x {money(price)} + host {money(box['capex_usd'] - ch.count * price)}"
                 f" ({box['host']}, profiles/hosts.yaml)")
        if own_usd_per_hour is None or not np.isfinite(usd_per_mtok):
            self.lines.append(f"  owned USD per hour = n/a    <- {box['reason'] or 'the model does not fit'}")
        else:
            self.add("owned USD per hour", own_usd_per_hour, "capex x (1 - resale) / (lifetime x 730 h) + energy at full load x PUE x "
                     "the site's $/kWh + (operations + colocation + failed cards) / 730 h")
            self.add("usd_per_mtok", usd_per_mtok, "owned USD per hour / (requests/s x (input + output) x 3600) x 1e6")
        if rent_usd_per_hour is not None:
            self.add("rented USD per hour", rent_usd_per_hour, f"GPUs x $/GPU-hour [rentals/{rental}]")
        self.assume("resale_fraction", "resale_fraction_datacenter")

    def serve(self, model: Any, ch: Any, quant: Any, engine: Any, x: dict[str, Any], out: dict[str, np.ndarray], i: int) -> None:
        self.head(f"serve {model.id} ({quant.id}, {engine.id}) on {ch.label}:")
        self._model(model, x)
        self.add("weights_gib", out["weights_bytes"][i] / memory.GIB,
                 f"linear weights x {quant.bits_per_weight:g} bits + embedding x {quant.embedding_bits or quant.bits_per_weight:g} "
                 f"+ head x {quant.head_bits or quant.bits_per_weight:g}" + (f" + MoE non-expert weights x {quant.non_expert_bits:g}"
                                                                          if quant.non_expert_bits else "")
                 + f" bits [quantizations/{quant.id}]")
        self.add("KV bytes per token", x["kv_bytes_per_token"] + x["kv_window_bytes_per_token"],
                 "layers x 2 kv_heads head_dim (MLA: kv_lora_rank + rope) x kv_cache_bytes (vLLM sec. 3); "
                 + (f"sliding-window layers keep at most {x['window']:.0f} tokens" if x["window"] else "every layer keeps every token"))
        self.add("max_concurrency", out["max_concurrency"][i],
                 f"floor((GPUs x (memory x usable {x['usable_fraction']:g} - overhead) - W) / (KV x "
                 f"{x['input_tokens'] + x['output_tokens']:.0f} tokens x copies)), engine cap {engine.max_concurrency}")
        if ch.gpu.usable_memory_fraction is not None:
            src = (ch.gpu.sources or {}).get("usable_memory_fraction", "gpus profile")
            self.add("usable memory fraction", x["usable_fraction"], f"at most gpus/{ch.gpu.id}.usable_memory_fraction [{src}]")
        asked = "as asked" if x["concurrency"] > 0 else "auto: the batch with most requests/s whose TPOT meets --max-tpot-ms"
        self.add("concurrency", out["concurrency"][i], asked if out["fits"][i] else f"{asked}; does not fit")
        self.add("parallelism", {0.0: "one GPU", 1.0: "tensor parallel", 2.0: "pipeline parallel"}[float(out["parallelism"][i])],
                 f"the faster of tensor parallel (2 L all-reduces per step over {ch.gpu.interconnect}"
                 f"{'' if ch.gpu.pcie_p2p or ch.gpu.interconnect == 'nvlink' else ' without peer-to-peer'}) and {engine.pipeline} "
                 "pipeline parallel" + (" (tensor only: engines that overlap pipeline stages use them where GPUs lack NVLink)"
                                        if x["pipeline"] == 0 and engine.pipeline == "overlapped" else ""))
        self.add("all-reduce latency (us)", (x["link_latency_s"] + 2 * max(x["gpus"] - 1, 0) * x["link_hop_latency_s"]) * 1e6,
                 "link base + 2 (n - 1) x per-step latency (assumptions link_*)")
        self.add("effective bandwidth per GPU (GB/s)", x["bandwidth_gb_per_s"] * x["bandwidth_efficiency"],
                 f"{ch.gpu.memory_bandwidth_gb_per_s:g} GB/s x {engine.id} efficiency {x['bandwidth_efficiency']:g}")
        self._calibration(ch, quant, engine)
        self.add("tensor peak (TFLOPS)", x["decode_tflops"], f"{engine.matmul_rate or quant.tensor_rate} rate, {engine.accumulate} accumulate")
        self.add("step_s (= tpot_s)", out["step_s"][i],
                 "max((W_read(S) + S KV(ctx)) / BW_eff, S (2 N + attention(ctx)) / peak_eff) [per GPU share] + 2 L x all-reduce(S d 2 B)"
                 f" (tensor) or stage hops (pipeline) + step overhead {engine.step_overhead_ms:g} ms")
        self.add("decode_tokens_per_s", out["decode_tokens_per_s"][i], "S / step_s")
        self.add("prefill_tokens_per_s", out["prefill_tokens_per_s"][i],
                 f"input / (max(uncached input x FLOPs / (peak x {x['prefill_efficiency']:g}), W / BW_eff) + all-reduces + overhead)")
        self.add("requests_per_s", out["requests_per_s"][i], "S / (S x t_prefill + output x t_step)")
        self.add("ttft_s", out["ttft_s"][i], f"request overhead {engine.request_overhead_ms:g} ms + t_prefill + wait behind the "
                 "other S - 1 requests' prefills (M/D/1)")
        self.add("itl_s", out["itl_s"][i], "(output x t_step + (S - 1) x t_prefill) / output")
        self.assume(*(f"link_{k}" for k in ("latency_us_nvlink", "latency_us_pcie_p2p", "latency_us_pcie_host", "hop_latency_us_nvlink",
                                           "hop_latency_us_pcie", "efficiency_nvlink", "efficiency_pcie_p2p", "efficiency_pcie_host")))

    def _calibration(self, ch: Any, quant: Any, engine: Any) -> None:
        """Efficiencies fitted by `llmcost calibrate`, with the result files they were fitted to."""
        cal = inputs.calibration_for(self.cat, ch.gpu.id, engine.id, quant.id)
        if cal is None:
            return
        where = self.cat.where.get(("calibrations", cal.id))
        at = f"{where.path}:{where.line}" if where is not None else f"calibrations/{cal.id}"
        for name in CALIBRATED_EFFICIENCIES:
            value = getattr(cal, name)
            if value is not None:
                source = cal.sources.get(name) or cal.sources.get("default", "no source given")
                self.add(f"{name} (calibrated)", value, f"calibrated from {source} [{at}]")

