"""Multi-GPU communication, latency, batch limits, formats and fine-tuning recipes, each figure worked out by
hand from the formulas and the profile values (never by calling the engine for the expected number)."""

from __future__ import annotations

import functools
import math

import pytest

from llmcost import catalog, inputs, runs
from llmcost.engine import serving

GIB = 2.0**30


@functools.cache
def cat() -> catalog.Catalog:
    return catalog.load()


def one(model: str, gpu: str, quant: str, engine: str, **options: object) -> dict:
    return runs.serve(cat(), model, [gpu], quant, engine, **options).rows()[0]  # type: ignore[arg-type]


def llama33_awq_step_s(n: int) -> float:
    """Llama 3.3 70B AWQ-INT4 on n RTX 4090s under vLLM, one stream of 1000 + 250 tokens: the decode step
    by hand. Tensor parallel: each card reads 1/n of the weights (AWQ: linear layers at 4 + 16/128 + 4/128
    bits, embedding and head FP16; the input embedding is looked up, not read) and of the KV cache at the
    average context (1000 + 125 tokens), then 2 x 80 all-reduces of one 8192-wide BF16 hidden state go
    through host memory (GeForce cards have no peer-to-peer)."""
    m, g = cat().get("models", "llama-3.3-70b"), cat().get("gpus", "rtx-4090")
    q, e = cat().get("quantizations", "awq-int4"), cat().get("engines", "vllm")
    embed = m.vocab * m.d_model
    linear = m.params_b * 1e9 - 2 * embed
    read = linear * q.bits_per_weight / 8 + embed * q.head_bits / 8
    kv_per_token = m.layers * 2 * m.kv_heads * (m.d_model // m.heads) * cat().value("kv_cache_bytes")
    bandwidth = g.memory_bandwidth_gb_per_s * 1e9 * e.bandwidth_efficiency["awq-int4"]
    memory_s = (read + 1125 * kv_per_token) / (n * bandwidth)
    latency = (cat().value("link_latency_us_pcie_host") + 2 * (n - 1) * cat().value("link_hop_latency_us_pcie")) * 1e-6
    bus = g.link_bandwidth_gb_per_s / 2 * 1e9 * cat().value("link_efficiency_pcie_host")
    allreduce = latency + 2 * (n - 1) / n * (m.d_model * 2) / bus
    return memory_s + 2 * m.layers * allreduce + e.step_overhead_ms / 1000


def test_tensor_parallel_over_geforce_cards_scales_sub_linearly() -> None:
    """issue #11 item 4: `serve -m llama-3.3-70b -q awq-int4 -c 1` on 2/4/8 RTX 4090s. Every step pays 160
    all-reduces whose latency grows with the card count, so 8 cards are well short of 4x two."""
    rates = {}
    for n in (2, 4, 8):
        row = one("llama-3.3-70b", f"{n}xrtx-4090", "awq-int4", "vllm", concurrency=1)
        assert row["parallelism"] == "tensor"
        assert row["decode_tokens_per_s"] == pytest.approx(1 / llama33_awq_step_s(n), rel=1e-9)
        rates[n] = row["decode_tokens_per_s"]
    assert rates[2] < rates[4] < rates[8]
    assert rates[8] / rates[2] < 2.5  # linear scaling would be 4


def test_peer_to_peer_makes_the_same_cards_faster() -> None:
    """The same two cards with PCIe peer-to-peer (a workstation card's link) pay less per all-reduce."""
    from dataclasses import replace

    c = cat()
    p2p = catalog.Catalog(entries={**c.entries, "gpus": {**c.entries["gpus"], "rtx-4090": replace(c.get("gpus", "rtx-4090"),
                                                                                                   pcie_p2p=True)}},
                          assumptions=c.assumptions, where=c.where)
    host = runs.serve(c, "llama-3.3-70b", ["2xrtx-4090"], "awq-int4", "vllm", concurrency=1).rows()[0]
    direct = runs.serve(p2p, "llama-3.3-70b", ["2xrtx-4090"], "awq-int4", "vllm", concurrency=1).rows()[0]
    link = c.get("gpus", "rtx-4090").link_bandwidth_gb_per_s / 2 * 1e9
    message = 2 * 8192 * 2 / 2  # 2 (n - 1) / n x one 8192-wide BF16 hidden state
    per_allreduce = ((c.value("link_latency_us_pcie_host") - c.value("link_latency_us_pcie_p2p")) * 1e-6
                     + message / (link * c.value("link_efficiency_pcie_host")) - message / (link * c.value("link_efficiency_pcie_p2p")))
    assert host["tpot_s"] - direct["tpot_s"] == pytest.approx(160 * per_allreduce, rel=1e-6)


def llama33_q4km_2x3090(prompt: int, answer: int) -> tuple[float, float, float]:
    """(card memory time of one decode step over the whole model, compute time, hop between the two cards):
    Llama 3.3 70B Q4_K_M on RTX 3090s under llama.cpp, one stream."""
    m, g, q, e = (cat().get("models", "llama-3.3-70b"), cat().get("gpus", "rtx-3090"), cat().get("quantizations", "q4_k_m"),
                  cat().get("engines", "llama.cpp"))
    embed = m.vocab * m.d_model
    read = (m.params_b * 1e9 - 2 * embed) * q.bits_per_weight / 8 + embed * q.head_bits / 8
    context = prompt + answer / 2
    kv = m.layers * 2 * m.kv_heads * (m.d_model // m.heads) * 2 * context
    memory_s = (read + kv) / (g.memory_bandwidth_gb_per_s * 1e9 * e.bandwidth_efficiency["q4_k_m"])
    attention = 4 * m.layers * m.heads * (m.d_model // m.heads) * context
    compute_s = (2 * (m.params_b * 1e9 - embed) + attention) / (g.tops_int8 * 1e12 * e.compute_efficiency["default"])
    hop = cat().value("link_latency_us_pcie_host") * 1e-6 + m.d_model * 2 / (g.link_bandwidth_gb_per_s / 2 * 1e9
                                                                                * cat().value("link_efficiency_pcie_host"))
    return memory_s, compute_s, hop


def test_two_geforce_cards_split_a_chat_by_tensor_and_a_long_prompt_by_layer() -> None:
    """llama.cpp on 2 RTX 3090s. A chat turn (512 in, 128 out): tensor split halves each card's reading and
    pays 160 small all-reduces a step, so it decodes and serves faster. A long prompt (8192 in, 16 out):
    tensor split's prefill pushes 160 all-reduces of the prompt's hidden states (8192 x 16 KiB each)
    through host memory, while the layer split (llama.cpp's default) sends one hop and runs the cards
    in turn, one card's speed a decode step: the layer split serves more requests."""
    e = cat().get("engines", "llama.cpp")
    overhead = e.step_overhead_ms / 1000
    chat = one("llama-3.3-70b", "2xrtx-3090", "q4_k_m", "llama.cpp", concurrency=1, input_tokens=512, output_tokens=128)
    memory_s, compute_s, _ = llama33_q4km_2x3090(512, 128)
    allreduce = (cat().value("link_latency_us_pcie_host") + 2 * cat().value("link_hop_latency_us_pcie")) * 1e-6 + 8192 * 2 / (
        32e9 * cat().value("link_efficiency_pcie_host"))
    assert chat["parallelism"] == "tensor"
    assert chat["tpot_s"] == pytest.approx(max(memory_s, compute_s) / 2 + 160 * allreduce + overhead, rel=1e-9)
    long = one("llama-3.3-70b", "2xrtx-3090", "q4_k_m", "llama.cpp", concurrency=1, input_tokens=8192, output_tokens=16)
    memory_s, compute_s, hop = llama33_q4km_2x3090(8192, 16)
    assert long["parallelism"] == "pipeline"
    assert long["tpot_s"] == pytest.approx(max(memory_s, compute_s) + hop + overhead, rel=1e-9)


def test_a_batch_that_does_not_fit_is_refused_with_its_limit() -> None:
    """TensorRT-LLM LLaMA 7B FP16 on an 80 GB A100, 128 + 2048 tokens: (80 x 0.97 - 0.5) GiB less 13.48 GB of
    weights holds floor(. / (2176 x 512 KiB)) sequences; one more is refused, never cut."""
    e, m = cat().get("engines", "tensorrt-llm"), cat().get("models", "llama-2-7b")
    free = (80 * e.usable_memory_fraction - cat().value("runtime_overhead_gib")) * GIB - m.params_b * 1e9 * 2
    most = math.floor(free / (2176 * m.layers * 2 * m.d_model * 2))
    at = one("llama-2-7b", "a100-80gb", "fp16", "tensorrt-llm", concurrency=most, input_tokens=128, output_tokens=2048)
    over = one("llama-2-7b", "a100-80gb", "fp16", "tensorrt-llm", concurrency=most + 1, input_tokens=128, output_tokens=2048)
    assert at["fits"] is True and at["concurrency"] == most
    assert over["fits"] is False and over["max_concurrency"] == most and over["concurrency"] == most + 1
    assert over["reason"] == f"does not fit at {most + 1} (at most {most})"
    assert over["output_tokens_per_s"] == "does not fit"


def test_a_latency_target_nothing_meets_is_a_state() -> None:
    """issue #13 item 5: --max-tpot-ms 1 cannot be met by an 8B model on one RTX 4090 (reading 4.6 GiB takes
    longer): the row says 'misses target', not fits = yes, and reports batch 1."""
    row = one("llama-3.1-8b", "rtx-4090", "q4_k_m", "llama.cpp", max_tpot_ms=1.0)
    assert row["fits"] == "misses target" and row["concurrency"] == 1 and row["tpot_s"] > 0.001
    assert one("llama-3.1-8b", "rtx-4090", "q4_k_m", "llama.cpp", max_tpot_ms=100.0)["fits"] is True


def test_tpot_is_the_decode_step_and_itl_adds_other_prefills() -> None:
    row = one("llama-3.1-8b", "rtx-4090", "q4_k_m", "llama.cpp", concurrency=16, input_tokens=1000, output_tokens=250)
    prefill = 1000 / row["prefill_tokens_per_s"]
    assert row["tpot_s"] == pytest.approx(16 / row["decode_tokens_per_s"], rel=1e-12)
    assert row["itl_s"] == pytest.approx((250 * row["tpot_s"] + 15 * prefill) / 250, rel=1e-12)
    # TTFT: request overhead + prefill + the M/D/1 wait behind the 15 others' prefills.
    busy = 15 / 16 * row["requests_per_s"] * prefill
    wait = busy * prefill / (2 * (1 - busy))
    overhead = cat().get("engines", "llama.cpp").request_overhead_ms / 1000
    assert row["ttft_s"] == pytest.approx(overhead + prefill + wait, rel=1e-9)


def test_prefix_caching_skips_the_cached_prefill() -> None:
    """vLLM caches prefixes: half the prompt cached halves the prompt's matmul FLOPs (compute-bound prefill of
    4000 tokens). An engine without a prefix cache (mlc-llm) is unchanged."""
    base = one("llama-3.1-8b", "h100-sxm", "bf16", "vllm", concurrency=1, input_tokens=4000, output_tokens=100)
    half = one("llama-3.1-8b", "h100-sxm", "bf16", "vllm", concurrency=1, input_tokens=4000, output_tokens=100, cached_share=0.5)
    assert half["prefill_tokens_per_s"] > 1.8 * base["prefill_tokens_per_s"]
    for share in (0.0, 0.5):
        mlc = one("llama-2-7b", "rtx-4090", "q4f16_1", "mlc-llm", concurrency=1, input_tokens=1000, output_tokens=100,
                  cached_share=share)
        assert mlc["prefill_tokens_per_s"] == pytest.approx(
            one("llama-2-7b", "rtx-4090", "q4f16_1", "mlc-llm", concurrency=1, input_tokens=1000, output_tokens=100)
            ["prefill_tokens_per_s"], rel=1e-12)


def test_prompts_in_flight_are_prefilled_in_one_pass() -> None:
    """Llama 3.1 70B FP8 on 2 H100s (TensorRT-LLM, token budget 8192), 32 requests of 128 -> 128 tokens: their
    4,096 prompt tokens go through one forward pass, which reads the weights, all-reduces its hidden states
    and pays the step overhead once for all of them; each request pays 128/4096 of that beside its own FLOPs.
    One request alone pays the whole pass for its 128 tokens (memory-bound), so batching prefills faster."""
    c = cat()
    m, g, e, q = c.get("models", "llama-3.1-70b"), c.get("gpus", "h100-sxm"), c.get("engines", "tensorrt-llm"), c.get("quantizations", "fp8")
    n = 2
    shape = inputs.model_shape(m)
    w = inputs.weight_bytes(shape, q)
    bw = g.memory_bandwidth_gb_per_s * 1e9 * e.bandwidth_efficiency["default"] * n
    peak = g.tflops_fp8 * 1e12 * e.prefill_efficiency["fp8"] * n
    x = inputs.serve_inputs(c, m, g, float(n), "fp8", "tensorrt-llm", 128.0, 128.0, 32.0, None)
    flops = 128 * (2 * shape["matmul_params"] + float(x["attn_flops_per_key"]) * 64)
    latency = (c.value("link_latency_us_nvlink") + 2 * (n - 1) * c.value("link_hop_latency_us_nvlink")) * 1e-6
    bus = g.link_bandwidth_gb_per_s / 2 * 1e9 * c.value("link_efficiency_nvlink")

    def prefill_s(pass_tokens: int) -> float:
        share = 128 / pass_tokens
        read = (w["dense_bytes"] - w["embedding_bytes"]) / bw * share
        allreduces = 2 * m.layers * (latency + 2 * (n - 1) / n * pass_tokens * m.d_model * 2 / bus) * share
        return max(read, flops / peak) + allreduces + e.step_overhead_ms / 1000 * share

    assert e.prefill_batch_tokens == 8192
    for concurrency, pass_tokens in ((32, 4096), (1, 128)):
        row = one("llama-3.1-70b", "2xh100-sxm", "fp8", "tensorrt-llm", concurrency=concurrency, input_tokens=128,
                  output_tokens=128)
        assert 128 / row["prefill_tokens_per_s"] == pytest.approx(prefill_s(pass_tokens), rel=1e-9)
    assert prefill_s(4096) < 0.6 * prefill_s(128)
    # A prompt longer than the budget is cut into chunks that each read the weights: 20,000 tokens = 2.44 passes.
    assert float(serving.prefill_pass_tokens(20_000, 4, 8192)) == 8192


def test_queueing_wait_of_md1_by_hand() -> None:
    """M/D/c with one server is M/D/1 (Pollaczek-Khinchine): rho / (2 mu (1 - rho))."""
    assert float(serving.mdc_wait_s(0.5, 1, 2.0)) == pytest.approx(0.25 / (2 * 2.0 * 0.75), rel=1e-12)
    assert math.isinf(float(serving.mdc_wait_s(2.0, 4, 2.0)))


# ---------------------------------------------------------------------------------------------- fine-tuning

def test_fsdp_qlora_70b_on_two_24gb_cards_names_only_options_that_fit() -> None:
    """issue #16: Llama 3.1 70B QLoRA on 2 x RTX 3090 is sharded (FSDP) by default; it still does not fit at
    batch 2 and the hint names offload, batch 1 and three cards, not QLoRA (already chosen). Each option
    named does make it fit."""
    row = runs.finetune(cat(), "llama-3.1-70b", ["2xrtx-3090"], "qlora").rows()[0]
    assert row["fits"] is False
    hint = row["reason"].split("fits with ", 1)[1]
    options = hint.split(" or ")
    assert "--method qlora" not in options and "--offload" in options
    for option in options:
        kwargs: dict = {}
        gpu = "2xrtx-3090"
        if option == "--offload":
            kwargs["recipe"] = inputs.Recipe(offload=True)
        elif option.startswith("--batch "):
            kwargs["batch"] = int(option.split()[1])
        elif option.startswith("--gpu "):
            gpu = option.split()[1]
        else:
            raise AssertionError(f"unexpected option {option}")
        assert runs.finetune(cat(), "llama-3.1-70b", [gpu], "qlora", **kwargs).rows()[0]["fits"] is True, option


def logits_bytes(model: str, tokens: float, loss: str) -> float:
    """The loss over the vocabulary: tokens x vocabulary logits at the recipe's bytes per logit."""
    return tokens * cat().get("models", model).vocab * cat().value(f"loss_bytes_per_logit_{loss}")


def test_sharded_qlora_memory_by_hand() -> None:
    """2 x RTX 3090, Llama 3.1 70B QLoRA with offload: the GPU keeps two gathered layers of NF4 weights,
    checkpointed activations (2 bytes per hidden unit per layer) plus the larger of one layer's 34 and the
    default chunked loss's logits (2 x 2048 tokens x 128,256 entries: the logits are freed before any layer
    recomputes), and the overhead."""
    m = cat().get("models", "llama-3.1-70b")
    nf4 = cat().get("quantizations", "nf4").bits_per_weight
    layer = m.params_b * 1e9 / m.layers * nf4 / 8
    tokens_hidden = 2 * 2048 * m.d_model
    activations = tokens_hidden * 2 * m.layers + max(tokens_hidden * 34, logits_bytes("llama-3.1-70b", 2 * 2048, "chunked"))
    expected = (2 * layer + activations) / GIB + cat().value("training_overhead_gib")
    row = runs.finetune(cat(), "llama-3.1-70b", ["2xrtx-3090"], "qlora", recipe=inputs.Recipe(offload=True)).rows()[0]
    assert row["memory_per_gpu_gib"] == pytest.approx(expected, rel=1e-9)


def test_lean_full_finetune_memory_by_hand() -> None:
    """Llama 3.1 8B full fine-tune, paged 8-bit AdamW with the step in backward (torchtune's recipe): BF16
    weights, one layer's BF16 gradients, states in CPU memory, checkpointed activations of 2 x 2048 tokens."""
    m = cat().get("models", "llama-3.1-8b")
    params = m.params_b * 1e9
    tokens_hidden = 2 * 2048 * m.d_model
    activations = tokens_hidden * 2 * m.layers + max(tokens_hidden * 34, logits_bytes("llama-3.1-8b", 2 * 2048, "chunked"))
    expected = (2 * params + 2 * params / m.layers + activations) / GIB + cat().value("training_overhead_gib")
    recipe = inputs.Recipe(optimizer="paged-adamw8bit", optimizer_in_backward=True, checkpointing=True, loss="chunked")
    row = runs.finetune(cat(), "llama-3.1-8b", ["rtx-4090"], "full", recipe=recipe).rows()[0]
    assert row["memory_per_gpu_gib"] == pytest.approx(expected, rel=1e-9)


def test_offloaded_optimizer_steps_on_the_host_cpu() -> None:
    """torchtune's Llama 3.1 70B full fine-tune on 8 A100s with FSDP CPU offload (70B_full.yaml: AdamW, fsdp_cpu_offload):
    the states live in host memory and the CPU steps them after the backward pass. AdamW in mixed precision holds
    16 bytes a parameter (BF16 weight and gradient, 12 of states); the step reads the gradient and reads and writes
    the rest, 30 bytes, over the 8-GPU host's memory (two Xeon 8480C, 16 channels of DDR5-4800) at the streaming
    efficiency. A step in the backward pass hides it behind the compute, as it does the transfers."""
    c = cat()
    m = c.get("models", "llama-3.1-70b")
    params = inputs.model_shape(m)["params"]
    host = c.get("hosts", "hgx-8gpu")
    assert host.memory_bandwidth_gb_per_s == 16 * 4800 * 8 / 1000
    bandwidth_per_gpu = host.memory_bandwidth_gb_per_s / 8 * 1e9 * c.value("host_memory_efficiency")
    cpu_s = params / 8 * (2 * 16 - 2) / bandwidth_per_gpu
    step_tokens = 8 * 2 * 2048

    def step_s(**recipe: object) -> float:
        row = runs.finetune(c, "llama-3.1-70b", ["8xa100-80gb"], "full", recipe=inputs.Recipe(checkpointing=True, **recipe)).rows()[0]
        return step_tokens / row["tokens_per_s"]

    # Compute-bound (it does not fit without offload): stepping in the backward pass hides the CPU's time.
    assert step_s(offload=True) - step_s(offload=True, optimizer_in_backward=True) == pytest.approx(cpu_s, rel=1e-9)


def test_h100_trains_at_its_mfu_factor() -> None:
    """The H100's mfu_factor (0.9: Llama 3's 38-43% MFU against the A100-era 0.45) scales the MFU assumptions: a
    cluster's GPU-hours are FLOPs / (989 TFLOPS x mfu_nvlink x 0.9), a one-host fine-tune runs at mfu_single_gpu x 0.9;
    an A100 keeps the assumptions."""
    c = cat()
    h100, a100 = c.get("gpus", "h100-sxm"), c.get("gpus", "a100-80gb")
    assert h100.mfu_factor == 0.9 and a100.mfu_factor is None
    row = runs.pretrain(c, "llama-3.1-405b", ["h100-sxm"], gpus=16384, tokens=None).rows()[0]
    assert row["gpu_hours"] == pytest.approx(row["flops"] / (989e12 * c.value("mfu_nvlink") * 0.9) / 3600, rel=1e-9)
    assert inputs.finetune_mfu(c, h100, 4) == pytest.approx(c.value("mfu_single_gpu") * 0.9, rel=1e-12)
    assert inputs.finetune_mfu(c, a100, 4) == c.value("mfu_single_gpu")


def test_loss_kinds_change_only_the_logits() -> None:
    """Llama 3.1 8B LoRA on one 80 GB A100, no checkpointing, batch 1 x 2048: full, chunked and fused losses
    differ by 2048 x 128,256 logits at their bytes per logit (the layers' activations and everything else
    stay); the time does not change."""
    rows = {loss: runs.finetune(cat(), "llama-3.1-8b", ["a100-80gb"], "lora", batch=1, checkpointing=False,
                                recipe=inputs.Recipe(checkpointing=False, loss=loss)).rows()[0] for loss in inputs.LOSSES}
    for loss in ("chunked", "fused"):
        gap = (logits_bytes("llama-3.1-8b", 2048, "full") - logits_bytes("llama-3.1-8b", 2048, loss)) / GIB
        assert rows["full"]["memory_per_gpu_gib"] - rows[loss]["memory_per_gpu_gib"] == pytest.approx(gap, rel=1e-9)
        assert rows[loss]["tokens_per_s"] == rows["full"]["tokens_per_s"]


def test_fsdp_collectives_set_the_pace_over_host_memory() -> None:
    """Llama 3.1 8B full fine-tune on 2 RTX 4090s (FSDP, no peer-to-peer), one 512-token sequence per GPU:
    a step gathers every layer's BF16 weights twice and reduce-scatters its BF16 gradients once, half of
    each crossing the host-staged link, each collective paying the link's base latency and one ring step.
    That takes longer than the step's compute at the single-GPU MFU, so the collectives set the rate."""
    c = cat()
    m, g = c.get("models", "llama-3.1-8b"), c.get("gpus", "rtx-4090")
    layer_bytes = m.params_b * 1e9 * 2 / m.layers
    bus = g.link_bandwidth_gb_per_s / 2 * 1e9 * c.value("link_efficiency_pcie_host")
    collective = (c.value("link_latency_us_pcie_host") + c.value("link_hop_latency_us_pcie")) * 1e-6 + layer_bytes / 2 / bus
    step_s = 3 * m.layers * collective
    row = runs.finetune(c, "llama-3.1-8b", ["2xrtx-4090"], "full", batch=1, seq_len=512,
                        recipe=inputs.Recipe(optimizer="paged-adamw8bit", optimizer_in_backward=True, checkpointing=True)).rows()[0]
    embed = m.vocab * m.d_model
    compute_s = 512 * (8 * (m.params_b * 1e9 - embed) + 4 * 4 * m.layers * m.d_model * 512) / (g.tflops_bf16 * 1e12 * c.value("mfu_single_gpu"))
    assert compute_s < step_s
    assert row["tokens_per_s"] == pytest.approx(2 * 512 / step_s, rel=1e-9)


def test_one_box_finetune_runs_at_the_single_gpu_mfu() -> None:
    """8 A100s in one box train at mfu_single_gpu (the collectives are modelled); a cluster beyond one host
    keeps the cluster MFU (mfu_nvlink) that the pre-training figures calibrate."""
    c = cat()
    assert inputs.finetune_mfu(c, c.get("gpus", "a100-80gb"), 8) == c.value("mfu_single_gpu")
    assert inputs.finetune_mfu(c, c.get("gpus", "a100-80gb"), 16) == c.value("mfu_nvlink")
    assert inputs.finetune_mfu(c, c.get("gpus", "rtx-4090"), [1, 4, 16]).tolist() == [
        c.value("mfu_single_gpu"), c.value("mfu_single_gpu"), c.value("mfu_pcie")]


def test_nvlink_groups_serve_tensor_parallel() -> None:
    """vLLM and TensorRT-LLM split a model across NVLink GPUs by tensor parallelism (vLLM docs: pipeline
    parallelism only where GPUs lack NVLink); over PCIe they may pick pipeline stages."""
    nvlink = one("llama-3.1-70b", "8xh100-sxm", "fp8", "tensorrt-llm", input_tokens=2048, output_tokens=128)
    assert nvlink["parallelism"] == "tensor"
    pcie = one("llama-3.1-70b", "4xl40s", "fp8", "tensorrt-llm", input_tokens=2048, output_tokens=128)
    assert pcie["parallelism"] == "pipeline"


def test_moe_experts_take_their_own_roofline() -> None:
    """Qwen3-235B-A22B FP8 on 8 H100s (TensorRT-LLM), batch 1024 of 128 -> 128: the dense GEMMs (attention
    projections, embeddings) are compute-bound at this batch while the routed experts (8 of 128 per token,
    nearly all touched) are read from memory; the two kernels' times add, beside attention and the
    all-reduces."""
    c = cat()
    m, g, e = c.get("models", "qwen3-235b-a22b"), c.get("gpus", "h100-sxm"), c.get("engines", "tensorrt-llm")
    q = c.get("quantizations", "fp8")
    s, n = 1024, 8
    bw = g.memory_bandwidth_gb_per_s * 1e9 * e.bandwidth_efficiency["default"] * n
    peak = g.tflops_fp8 * 1e12 * e.compute_efficiency["fp8"] * n
    experts_total = m.experts * m.expert_params_b * 1e9
    touched = 1 - (1 - m.experts_per_token / m.experts) ** s
    expert_read = experts_total * q.bits_per_weight / 8 * touched
    expert_flops = s * 2 * m.experts_per_token * m.expert_params_b * 1e9
    expert_s = max(expert_read / bw, expert_flops / peak)
    row = one("qwen3-235b-a22b", "8xh100-sxm", "fp8", "tensorrt-llm", concurrency=s, input_tokens=128, output_tokens=128)
    shape = inputs.model_shape(m)
    weights = inputs.weight_bytes(shape, q)
    dense_read = weights["dense_bytes"] - weights["embedding_bytes"]
    dense_flops = s * 2 * (shape["matmul_params"] - shape["expert_matmul_params"])
    dense_s = max(dense_read / bw, dense_flops / peak)
    assert expert_read / bw > expert_flops / peak and dense_flops / peak > dense_read / bw
    x = inputs.serve_inputs(c, m, g, 8.0, "fp8", "tensorrt-llm", 128.0, 128.0, float(s), None)
    kv = s * float(x["kv_bytes_per_token"]) * (128 + 64) * max(n / m.kv_heads, 1)
    attention = s * float(x["attn_flops_per_key"]) * (128 + 64)
    attention_s = max(kv / bw, attention / peak)
    latency = c.value("link_latency_us_nvlink") * 1e-6 + 2 * (n - 1) * c.value("link_hop_latency_us_nvlink") * 1e-6
    bus = g.link_bandwidth_gb_per_s / 2 * 1e9 * c.value("link_efficiency_nvlink")
    allreduces = 2 * m.layers * (latency + 2 * (n - 1) / n * s * m.d_model * 2 / bus)
    assert row["tpot_s"] == pytest.approx(dense_s + expert_s + attention_s + allreduces + e.step_overhead_ms / 1000, rel=1e-9)


def test_compare_ttft_waits_at_the_busy_hour_arrival_rate() -> None:
    """team-assistant, own RTX 4090: 3,000 requests a day at 2.5x the average in the busy hour share one
    replica. TTFT = vLLM's request overhead + the prompt's prefill (the cached 30% skipped) + the wait for
    one of S batch slots (M/D/c: half of Sakasegawa's M/M/c wait, Allen-Cunneen) + the wait behind other
    prompts (M/D/1). The serve row at the scenario's settings gives S, the prefill time and the replica's
    requests/s; the rest is worked here."""
    from llmcost import comparison, scenarios

    c = cat()
    sc = scenarios.resolve(c, "team-assistant")
    row = next(r for r in comparison.compare(c, sc).rows() if r["option"] == "own rtx-4090")
    served = one("llama-3.1-8b", "rtx-4090", "awq-int4", "vllm", input_tokens=1500, output_tokens=400, max_tpot_ms=50,
                 cached_share=0.3)
    lam = 3000 * c.value("peak_to_average") / 86400 / row["replicas"]
    mu, slots, prefill = served["requests_per_s"], served["concurrency"], 1500 / served["prefill_tokens_per_s"]
    rho = lam / mu
    slot_wait = 0.5 * rho ** (math.sqrt(2 * (slots + 1)) - 1) / (mu * (1 - rho))
    prompt_wait = lam * prefill**2 / (2 * (1 - lam * prefill))
    overhead = c.get("engines", "vllm").request_overhead_ms / 1000
    assert row["ttft_s"] == pytest.approx(overhead + prefill + slot_wait + prompt_wait, rel=1e-9)
    assert row["tpot_s"] == pytest.approx(served["tpot_s"], rel=1e-12)
    assert row["itl_s"] == pytest.approx(served["itl_s"], rel=1e-12)
