"""Benchmark result files users already produce, read into measured runs for `llmcost calibrate`.

- llama.cpp `llama-bench -o json` (an array of test objects) and `-o jsonl` (one object per line). Fields
  per tools/llama-bench/README.md: gpu_info, backends, model_type, model_n_params, n_gpu_layers, n_prompt,
  n_gen, n_depth, avg_ts, test_time. A test is pp (n_prompt > 0, n_gen 0) or tg (n_prompt 0, n_gen > 0).
- vLLM `benchmarks/benchmark_serving.py --save-result` (one object): model_id, request_rate,
  max_concurrency, completed, total_input_tokens, total_output_tokens, output_throughput, mean_ttft_ms,
  mean_tpot_ms, date, plus the `--metadata KEY=VALUE` pairs the user adds (gpu=..., tensor_parallel_size=...,
  quantization=...): the file itself does not name the GPU.

Every problem is a LlmcostError naming the file and the entry (`bench.json[2]: ...`), never a silent guess.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmcost.errors import LlmcostError
from llmcost.userfiles import read_capped

MAX_BYTES = 64 * 2**20
"""Result files are kilobytes to a few megabytes (vLLM's with --save-detailed); larger ones are refused."""

BACKEND_ENGINES = {"Metal": "llama.cpp-metal", "CUDA": "llama.cpp", "ROCm": "llama.cpp-rocm", "HIP": "llama.cpp-rocm",
                   "Vulkan": "llama.cpp-vulkan"}
"""llama-bench `backends` names (ggml backend registry) -> llmcost engine ids; CPU and BLAS run no GPU."""

GGUF_FORMATS = {"F16": "fp16", "BF16": "bf16", "Q8_0": "q8_0", "Q6_K": "q6_k", "Q5_K - Medium": "q5_k_m",
                "Q4_K - Medium": "q4_k_m", "Q4_0": "q4_0"}
"""llama.cpp's file-type names as llama-bench prints them in model_type (llama_model_ftype_name) -> quantization ids."""

LLAMA_BENCH_FIELDS = ("gpu_info", "backends", "model_type", "model_n_params", "n_prompt", "n_gen", "avg_ts")
VLLM_FIELDS = ("model_id", "request_rate", "max_concurrency", "completed", "total_input_tokens", "total_output_tokens",
               "output_throughput", "mean_ttft_ms")


@dataclass(frozen=True)
class ResultFile:
    """A result file as read: its name as given, sha256 of its bytes, and which tool wrote it."""

    name: str
    sha256: str
    kind: str


@dataclass(frozen=True)
class Run:
    """One measured test, before it is matched with the catalogue."""

    file: ResultFile
    entry: str
    """`name[i]` for array entries, `name:line` for JSON lines, `name` for a one-object file."""
    gpu_info: str
    """The GPU(s) the file says ran the test, as written (comma-separated when several)."""
    engine: str | None
    quant: str | None
    model_params: float | None
    model_text: str
    gpu_layers: int | None
    tensor_parallel: int
    input_tokens: float
    output_tokens: float
    concurrency: int
    measured: dict[str, float]
    """Serve column -> measured value."""
    date: str | None
    notes: tuple[str, ...] = ()

    @property
    def test(self) -> str:
        """The test in its tool's words: pp512, tg128, or c16 1024->256 for a serving run."""
        if self.file.kind.startswith("vLLM"):
            return f"c{self.concurrency} {self.input_tokens:.0f}->{self.output_tokens:.0f}"
        return f"pp{self.input_tokens:.0f}" if self.input_tokens else f"tg{self.output_tokens:.0f}"


def read(path_text: str) -> tuple[list[Run], list[str]]:
    """The runs of one result file, and the entries skipped with why (one line each)."""
    path = Path(path_text)
    name = path.name
    raw = read_capped(path, path_text, MAX_BYTES, "give llama-bench (-o json or jsonl) or vLLM (--save-result) result files")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise LlmcostError(f"{name}: not UTF-8 text; expected llama-bench -o json/jsonl or vLLM --save-result JSON") from None
    digest = hashlib.sha256(raw).hexdigest()
    doc = _json_or_lines(text, name)
    if isinstance(doc, list) and all(isinstance(o, tuple) for o in doc):  # JSON lines: (line, object)
        rf = ResultFile(name, digest, "llama-bench -o jsonl")
        return _llama_bench(rf, [(f"{name}:{line}", o) for line, o in doc])
    if isinstance(doc, list):
        rf = ResultFile(name, digest, "llama-bench -o json")
        return _llama_bench(rf, [(f"{name}[{i}]", o) for i, o in enumerate(doc)])
    if isinstance(doc, dict) and "output_throughput" in doc:
        return [_vllm(ResultFile(name, digest, "vLLM benchmark_serving.py --save-result"), name, doc)], []
    if isinstance(doc, dict) and "avg_ts" in doc:
        return _llama_bench(ResultFile(name, digest, "llama-bench -o jsonl"), [(f"{name}:1", doc)])
    raise LlmcostError(f"{name}: not a llama-bench -o json/jsonl or vLLM --save-result file (expected an array of "
                       "llama-bench tests, or an object with output_throughput)")


def _reject_constant(word: str) -> Any:
    raise ValueError(f"{word} is not a number JSON allows")


def _json_or_lines(text: str, name: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        whole = str(e)
    lines = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if len(lines) < 2:
        raise LlmcostError(f"{name}: not JSON ({whole})")
    out: list[tuple[int, Any]] = []
    for number, line in lines:
        try:
            out.append((number, json.loads(line, parse_constant=_reject_constant)))
        except ValueError as e:
            if number == lines[0][0]:  # not JSON lines either: report the whole-file error
                raise LlmcostError(f"{name}: not JSON ({whole})") from None
            raise LlmcostError(f"{name}:{number}: not a JSON object ({e}); llama-bench -o jsonl writes one per line") from None
    bad = next((number for number, obj in out if not isinstance(obj, dict)), None)
    if bad is not None:
        raise LlmcostError(f"{name}:{bad}: expected a JSON object per line")
    return out


def _field(obj: Mapping[str, Any], key: str, entry: str, kind: type | tuple[type, ...]) -> Any:
    if key not in obj or obj[key] is None:
        raise LlmcostError(f"{entry}: missing {key!r}; is this an unedited result file?")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, kind):
        raise LlmcostError(f"{entry}: {key} is {json.dumps(value)[:40]}; expected {'text' if kind is str else 'a number'}")
    if isinstance(value, float) and not math.isfinite(value):
        raise LlmcostError(f"{entry}: {key} is not a finite number")
    return value


def _count(obj: Mapping[str, Any], key: str, entry: str) -> int:
    value = _field(obj, key, entry, (int, float))
    if value < 0 or value != int(value):
        raise LlmcostError(f"{entry}: {key} is {value}; expected a whole number of at least 0")
    return int(value)


def _positive(obj: Mapping[str, Any], key: str, entry: str) -> float:
    value = float(_field(obj, key, entry, (int, float)))
    if value <= 0:
        raise LlmcostError(f"{entry}: {key} is {value:g}; expected more than 0")
    return value


def _llama_bench(rf: ResultFile, entries: list[tuple[str, Any]]) -> tuple[list[Run], list[str]]:
    if not entries:
        raise LlmcostError(f"{rf.name}: no tests in the file")
    runs, skipped = [], []
    for entry, obj in entries:
        if not isinstance(obj, dict):
            raise LlmcostError(f"{entry}: expected a llama-bench test object, got {type(obj).__name__}")
        run = _llama_bench_test(rf, entry, obj)
        if isinstance(run, str):
            skipped.append(f"{entry}: {run}")
        else:
            runs.append(run)
    return runs, skipped


def _llama_bench_test(rf: ResultFile, entry: str, obj: Mapping[str, Any]) -> Run | str:
    """One llama-bench test as a Run, or why it is skipped."""
    for key in LLAMA_BENCH_FIELDS:
        _field(obj, key, entry, str if key in ("gpu_info", "backends", "model_type") else (int, float))
    backends = [b.strip() for b in str(obj["backends"]).split(",") if b.strip()]
    gpu_backends = [b for b in backends if b in BACKEND_ENGINES]
    layers = obj.get("n_gpu_layers")
    if not gpu_backends or layers == 0 or not str(obj["gpu_info"]).strip():
        raise LlmcostError(f"{entry}: a CPU-only run (backends {obj['backends']!r}, n_gpu_layers {layers}, gpu_info "
                           f"{obj['gpu_info']!r}); calibrate fits GPU engines: rerun llama-bench with the model on the GPU")
    n_prompt, n_gen = _count(obj, "n_prompt", entry), _count(obj, "n_gen", entry)
    rate = _positive(obj, "avg_ts", entry)
    depth = obj.get("n_depth") or 0
    if depth:
        return f"tests at a prefilled context (n_depth {depth}) are not used; calibrate takes depth-0 pp and tg tests"
    if n_prompt and n_gen:
        return "a pp+tg test (-pg) mixes prefill and decode; calibrate takes separate pp (-p) and tg (-n) tests"
    if not n_prompt and not n_gen:
        raise LlmcostError(f"{entry}: n_prompt and n_gen are both 0: no test")
    ftype = re.sub(r"^\S+ \S+ (mostly )?", "", str(obj["model_type"]))
    return Run(file=rf, entry=entry, gpu_info=str(obj["gpu_info"]).strip(), engine=BACKEND_ENGINES[gpu_backends[0]],
               quant=GGUF_FORMATS.get(ftype), model_params=float(obj["model_n_params"]), model_text=str(obj["model_type"]),
               gpu_layers=int(layers) if isinstance(layers, int) and not isinstance(layers, bool) else None,
               tensor_parallel=1, input_tokens=float(n_prompt), output_tokens=float(n_gen), concurrency=1,
               measured={"prefill_tokens_per_s" if n_prompt else "decode_tokens_per_s": rate},
               date=_iso_day(obj.get("test_time")),
               notes=() if ftype in GGUF_FORMATS else (f"weight format {ftype!r}",))


def _vllm(rf: ResultFile, entry: str, obj: Mapping[str, Any]) -> Run:
    for key in VLLM_FIELDS:
        if key not in obj:
            raise LlmcostError(f"{entry}: missing {key!r}; expected vLLM benchmark_serving.py --save-result output")
    rate = obj["request_rate"]
    if rate != "inf":
        raise LlmcostError(f"{entry}: request_rate is {rate}: arrivals were paced, so throughput says little about the "
                           "engine; calibrate takes closed-loop runs (--request-rate inf --max-concurrency N)")
    if obj["max_concurrency"] is None:
        raise LlmcostError(f"{entry}: max_concurrency is null (every prompt sent at once); rerun with --max-concurrency N")
    concurrency = _count(obj, "max_concurrency", entry)
    completed = _count(obj, "completed", entry)
    if concurrency < 1 or completed < 1:
        raise LlmcostError(f"{entry}: {'max_concurrency' if concurrency < 1 else 'completed'} is 0: no requests ran")
    gpu_info = next((str(obj[k]) for k in ("gpu", "gpu_info", "hardware") if isinstance(obj.get(k), str) and obj[k].strip()), "")
    if not gpu_info:
        raise LlmcostError(f"{entry}: the file does not say which GPU ran it; rerun benchmark_serving.py with "
                           "--metadata gpu='NVIDIA GeForce RTX 4090' (or add \"gpu\": \"...\" to the file)")
    tp_text = obj.get("tensor_parallel_size", obj.get("tp", 1))
    try:
        tp = int(str(tp_text))
    except ValueError:
        raise LlmcostError(f"{entry}: tensor_parallel_size {tp_text!r} is not a whole number") from None
    if tp < 1:
        raise LlmcostError(f"{entry}: tensor_parallel_size {tp} must be at least 1")
    measured = {"ttft_s": _positive(obj, "mean_ttft_ms", entry) / 1000.0,
                "output_tokens_per_s": _positive(obj, "output_throughput", entry)}
    if obj.get("mean_tpot_ms") is not None:
        measured["tpot_s"] = _positive(obj, "mean_tpot_ms", entry) / 1000.0
    notes = () if "tensor_parallel_size" in obj or "tp" in obj else ("tensor_parallel_size not recorded: 1 GPU assumed",)
    quant = obj.get("quantization") if isinstance(obj.get("quantization"), str) else None
    return Run(file=rf, entry=entry, gpu_info=gpu_info.strip(), engine="vllm", quant=quant, model_params=None,
               model_text=str(_field(obj, "model_id", entry, str)), gpu_layers=None, tensor_parallel=tp,
               input_tokens=_positive(obj, "total_input_tokens", entry) / completed,
               output_tokens=_positive(obj, "total_output_tokens", entry) / completed, concurrency=concurrency,
               measured=measured, date=_vllm_day(obj.get("date")), notes=notes)


def _iso_day(text: Any) -> str | None:
    return text[:10] if isinstance(text, str) and re.match(r"^\d{4}-\d{2}-\d{2}", text) else None


def _vllm_day(text: Any) -> str | None:
    """vLLM writes `date` as %Y%m%d-%H%M%S."""
    m = re.match(r"^(\d{4})(\d{2})(\d{2})-", text) if isinstance(text, str) else None
    return f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else None


GENERIC_WORDS = frozenset({"nvidia", "geforce", "amd", "radeon", "apple", "graphics", "gpu", "intel", "hbm2", "hbm2e", "hbm3",
                           "hbm3e", "gddr6", "gddr6x", "gddr7", "tm", "r"})
"""Words of device names that do not tell two GPUs apart (maker, brand, memory type)."""


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}


def device_names(gpu_info: str) -> list[str]:
    """The devices a gpu_info text lists (llama-bench joins several with ', ')."""
    return [d.strip() for d in gpu_info.split(",") if d.strip()]


def names_gpu(device: str, gpu_id: str, gpu_name: str) -> bool:
    """Whether a device name as a tool prints it ('NVIDIA GeForce RTX 4090', 'Apple M2 Ultra', 'NVIDIA H100
    80GB HBM3') names this GPU profile: every telling word of it is in the profile's id or name. A memory size
    ('80GB') may be left out of the profile; 'XT' does not match an XTX profile.

    >>> names_gpu("AMD Radeon RX 7900 XTX", "rx-7900-xt", "AMD Radeon RX 7900 XT")
    False
    >>> names_gpu("Apple M2 Ultra", "m2-ultra-76c-192gb", "Apple Mac Studio (2023) M2 Ultra 24C CPU / 76C GPU, 192 GB")
    True
    """
    telling = {w for w in _words(device) - GENERIC_WORDS if not re.fullmatch(r"\d+gb", w)}
    return bool(telling) and telling <= _words(f"{gpu_id} {gpu_name}")
