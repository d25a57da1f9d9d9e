"""Profiles: every loader rejection with its exact message, the built-in catalogue, and user overrides.

Messages are the contract of DESIGN.md section 2: `path:line: key.path: message`, closest ids suggested.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from llmcost import catalog, schema
from llmcost.engine.flops import active_params
from llmcost.errors import LlmcostError, ProfileError
from llmcost.schema import json_schema
from llmcost.yamlsrc import read_yaml

GPU_LINES = """\
gpus:
  - id: my-gpu
    name: My GPU
    vendor: nvidia
    class: consumer
    memory_gib: 24
    memory_bandwidth_gb_per_s: 1008
    tflops_bf16: 165.2
    tflops_fp16_acc16: 330.3
    power_w: 450
    idle_power_w: 20
    price_usd: 1599
    price_as_of: 2022-10-12
    interconnect: pcie
    link_bandwidth_gb_per_s: 64
    sources:
      default: test
""".splitlines()

LINE = {line.strip().lstrip("- ").split(":")[0]: n for n, line in enumerate(GPU_LINES, start=1)}
"""Line of each key in the GPU entry above (id: 2, memory_gib: 6, ...)."""

EXTRA_LINE = len(GPU_LINES) + 1
"""Line of the first `extra` line appended to the entry."""


def gpu_yaml(extra: str = "", **values: str) -> str:
    """The valid GPU entry above with some values replaced (same lines) and `extra` entry lines appended."""
    lines = []
    for line in GPU_LINES:
        head, _, _ = line.partition(":")
        key = head.strip().lstrip("- ")
        lines.append(f"{head}: {values[key]}" if key in values else line)
    return "\n".join(lines) + "\n" + extra


def problems_in(tmp_path: Path, text: str, name: str = "user.yaml") -> tuple[Path, list[str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as caught:
        catalog.load([path])
    return path, caught.value.problems


def only_problem(tmp_path: Path, text: str) -> tuple[Path, str]:
    path, found = problems_in(tmp_path, text)
    assert len(found) == 1, found
    return path, found[0]


# ------------------------------------------------------------------------------------ a valid file

def test_valid_user_gpu_loads_with_its_location(tmp_path: Path) -> None:
    path = tmp_path / "user.yaml"
    path.write_text(gpu_yaml())
    cat = catalog.load([path])
    gpu = cat.get("gpus", "my-gpu")
    assert (gpu.memory_gib, gpu.memory_bandwidth_gb_per_s, gpu.gpu_class) == (24.0, 1008.0, "consumer")
    assert cat.where[("gpus", "my-gpu")] == catalog.Located(str(path), 2)


# ---------------------------------------------------------------------------- rejections, exactly

def test_unknown_key_suggests_the_closest_key(tmp_path: Path) -> None:
    path, line = only_problem(tmp_path, gpu_yaml("    tflops_fp9: 10\n"))
    assert line == f"{path}:{EXTRA_LINE}: gpus[0].tflops_fp9: unknown key; did you mean 'tflops_fp8'?"


def test_unknown_key_with_nothing_close_lists_the_valid_keys(tmp_path: Path) -> None:
    path, line = only_problem(tmp_path, gpu_yaml("    colour: red\n"))
    assert line == (f"{path}:{EXTRA_LINE}: gpus[0].colour: unknown key; valid keys: id, name, vendor, class, memory_gib, "
                    "memory_bandwidth_gb_per_s, tflops_bf16, tflops_fp16_acc16, power_w, idle_power_w, price_usd, "
                    "price_as_of, interconnect, link_bandwidth_gb_per_s, pcie_p2p, host_link_gb_per_s, tflops_fp8, tops_int8, "
                    "used_price_usd, used_price_as_of, release_date, usable_memory_fraction, mfu_factor, integrated_host, sources, notes")


def test_misspelt_required_key_reports_both_the_unknown_and_the_missing_key(tmp_path: Path) -> None:
    text = gpu_yaml().replace("    power_w: 450", "    power_ww: 450")
    path, found = problems_in(tmp_path, text)
    assert found == [
        f"{path}:2: gpus[0].power_w: missing required key (board power, W)",
        f"{path}:{LINE['power_w']}: gpus[0].power_ww: unknown key; did you mean 'power_w'?",
    ]


def test_duplicate_key(tmp_path: Path) -> None:
    text = gpu_yaml().replace("    power_w: 450", "    power_w: 450\n    power_w: 460")
    path, line = only_problem(tmp_path, text)
    first = LINE["power_w"]
    assert line == f"{path}:{first + 1}: gpus[0].power_w: duplicate key (first on line {first}); keep one"


def test_duplicate_kind_key_at_top_level(tmp_path: Path) -> None:
    path, line = only_problem(tmp_path, gpu_yaml() + "gpus: []\n")
    assert line == f"{path}:{EXTRA_LINE}: gpus: duplicate key (first on line 1); keep one"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("memory_gib", "[24]", "expected a number > 0, got a list"),
    ("memory_gib", "{value: 24}", "expected a number > 0, got a mapping"),
    ("memory_gib", "true", "expected a number > 0, got True"),
    ("memory_gib", "", "missing required key (memory, GiB (a '24 GB' card is 24))"),
    ("memory_gib", "24 GiB", "expected a number > 0, got '24 GiB'"),
    ("name", "12", "expected text, got 12"),
    ("name", "[a, b]", "expected text, got a list"),
    ("price_as_of", "yesterday", "expected a date YYYY-MM-DD, got 'yesterday'"),
    ("price_as_of", "2023-02-30", "expected a date YYYY-MM-DD, got '2023-02-30'"),
    ("price_as_of", "20230101", "expected text, got 20230101"),
    ("class", "consumr", "expected one of consumer, workstation, datacenter, got 'consumr'; did you mean 'consumer'?"),
    ("id", "My GPU", "id 'My GPU' must be lowercase letters, digits and . _ / + - (e.g. 'my-rtx-4090')"),
    ("id", '"my-gpu\\n"', "id 'my-gpu\\n' must be lowercase letters, digits and . _ / + - (e.g. 'my-rtx-4090')"),
])
def test_wrong_type(tmp_path: Path, key: str, value: str, message: str) -> None:
    path, line = only_problem(tmp_path, gpu_yaml(**{key: value}))
    # a missing value is reported at the entry's line, a wrong one at its own
    where = 2 if message.startswith("missing") else LINE[key]
    assert line == f"{path}:{where}: gpus[0].{key}: {message}"


@pytest.mark.parametrize("written", ["'1,008'", "1,008", '"1,008"'])
def test_text_where_a_number_belongs(tmp_path: Path, written: str) -> None:
    path, line = only_problem(tmp_path, gpu_yaml(memory_bandwidth_gb_per_s=written))
    assert line == f"{path}:7: gpus[0].memory_bandwidth_gb_per_s: expected a number > 0, got '1,008'"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("price_usd", "-5", "expected a number > 0, got -5"),
    ("price_usd", "-0.01", "expected a number > 0, got -0.01"),
    ("memory_gib", "0", "expected a number > 0, got 0"),
    ("memory_gib", ".nan", "expected a number > 0, got nan (numbers must be finite)"),
    ("memory_gib", ".NaN", "expected a number > 0, got nan (numbers must be finite)"),
    ("memory_gib", ".inf", "expected a number > 0, got inf (numbers must be finite)"),
    ("memory_gib", "+.inf", "expected a number > 0, got inf (numbers must be finite)"),
    ("memory_gib", "1e400", "expected a number > 0, got inf (numbers must be finite)"),
    ("idle_power_w", "-.inf", "expected a number >= 0, got -inf (numbers must be finite)"),
    ("idle_power_w", "-1", "expected a number >= 0, got -1"),
    ("power_w", "1" + "0" * 400, "expected a number > 0, got a number with 401 digits (too large)"),
])
def test_out_of_range_and_non_finite_numbers(tmp_path: Path, key: str, value: str, message: str) -> None:
    path, line = only_problem(tmp_path, gpu_yaml(**{key: value}))
    assert line == f"{path}:{LINE[key]}: gpus[0].{key}: {message}"


def test_zero_is_allowed_where_the_bound_is_inclusive(tmp_path: Path) -> None:
    path = tmp_path / "user.yaml"
    path.write_text(gpu_yaml(idle_power_w="0"))
    assert catalog.load([path]).get("gpus", "my-gpu").idle_power_w == 0.0


def test_integer_fields_reject_fractions_and_fraction_fields_reject_more_than_one(tmp_path: Path) -> None:
    text = ("models:\n  - id: m\n    name: M\n    params_b: 1\n    layers: 2.5\n    d_model: 64\n    heads: 2\n"
            "    kv_heads: 2\n    ffn_dim: 256\n    vocab: 100\n    context: 128\n    ffn_gated: 'yes'\n"
            "    license: x\n    open_weights: true\n    release_date: 2024-01-01\n"
            "apis:\n  - id: a/b\n    name: B\n    provider: a\n    input_usd_per_mtok: 1\n"
            "    output_usd_per_mtok: 2\n    as_of: 2025-01-01\n    batch_discount: 1.5\n")
    path, found = problems_in(tmp_path, text)
    assert found == [
        f"{path}:5: models[0].layers: expected an integer >= 1, got 2.5",
        f"{path}:12: models[0].ffn_gated: expected true or false, got 'yes'",
        f"{path}:23: apis[0].batch_discount: expected a number >= 0 and <= 1, got 1.5",
    ]


def test_empty_value_for_an_optional_key(tmp_path: Path) -> None:
    path, line = only_problem(tmp_path, gpu_yaml("    notes:\n"))
    assert line == f"{path}:{EXTRA_LINE}: gpus[0].notes: empty value; give a value or leave the key out"


def test_missing_required_keys_are_each_reported_at_the_entry(tmp_path: Path) -> None:
    path, found = problems_in(tmp_path, "quantizations:\n  - id: q\n    name: Q\n")
    assert found == [
        f"{path}:2: quantizations[0].bits_per_weight: missing required key (bits per weight including scales and zero points)",
        f"{path}:2: quantizations[0].tensor_rate: missing required key (tensor-core rate its matrix multiplies run at)",
    ]


def test_dangling_serves_model_suggests_the_closest_models(tmp_path: Path) -> None:
    text = ("apis:\n  - id: x/y\n    name: n\n    provider: x\n    input_usd_per_mtok: 1\n    output_usd_per_mtok: 2\n"
            "    as_of: 2025-01-01\n    serves_model: llama-3.1-8\n")
    path, line = only_problem(tmp_path, text)
    assert line == (f"{path}:2: apis[x/y].serves_model: unknown model 'llama-3.1-8'; "
                    "did you mean 'llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b'?")


def test_dangling_rental_gpu_suggests_the_closest_gpus(tmp_path: Path) -> None:
    text = ("rentals:\n  - id: x/y\n    name: n\n    provider: x\n    gpu: rtx-409\n    gpus_per_instance: 1\n"
            "    usd_per_gpu_hour: 0.5\n    kind: on-demand\n    as_of: 2025-01-01\n")
    path, line = only_problem(tmp_path, text)
    assert line == f"{path}:2: rentals[x/y].gpu: unknown gpu 'rtx-409'; did you mean 'rtx-4090', 'rtx-5090', 'rtx-4080'?"


def test_dangling_engine_quantization_and_model_references(tmp_path: Path) -> None:
    text = ("engines:\n  - id: e\n    name: E\n    quantizations: [q4_k_m, q4_k_mm]\n    accumulate: fp16\n"
            "    max_concurrency: 8\n"
            "models:\n  - id: m\n    name: M\n    params_b: 1\n    layers: 2\n    d_model: 64\n    heads: 2\n"
            "    kv_heads: 2\n    ffn_dim: 256\n    vocab: 100\n    context: 128\n    ffn_gated: true\n"
            "    license: x\n    open_weights: true\n    release_date: 2024-01-01\n    base_model: llama-2-7\n"
            "    reported:\n      gpu: a100\n")
    path, found = problems_in(tmp_path, text)
    assert sorted(found) == sorted([
        f"{path}:2: engines[e].quantizations: unknown quantization 'q4_k_mm'; did you mean 'q4_k_m', 'q5_k_m'?",
        f"{path}:8: models[m].base_model: unknown model 'llama-2-7'; did you mean 'llama-2-7b', 'llama-2-70b', 'llama-7b'?",
        f"{path}:8: models[m].reported.gpu: unknown gpu 'a100'; did you mean 'a100-40gb', 'a100-80gb', 'a100-80gb-pcie'?",
    ])


def test_incomplete_moe_description(tmp_path: Path) -> None:
    text = ("models:\n  - id: m\n    name: M\n    params_b: 1\n    layers: 2\n    d_model: 64\n    heads: 2\n"
            "    kv_heads: 2\n    ffn_dim: 256\n    vocab: 100\n    context: 128\n    ffn_gated: true\n"
            "    license: x\n    open_weights: true\n    release_date: 2024-01-01\n    experts: 8\n")
    path, line = only_problem(tmp_path, text)
    assert line == f"{path}:2: models[m]: MoE needs experts, experts_per_token and expert_params_b together"


def test_duplicate_ids_in_one_file(tmp_path: Path) -> None:
    second = "\n".join(GPU_LINES[1:]) + "\n"
    path, line = only_problem(tmp_path, gpu_yaml() + second)
    assert line == f"{path}:{EXTRA_LINE}: gpus[1].id: duplicate id 'my-gpu' (first on line 2)"


def test_same_id_in_two_user_files_is_an_error_naming_both(tmp_path: Path) -> None:
    """Issue #14: the alphabetically later file used to win silently."""
    (tmp_path / "a.yaml").write_text(gpu_yaml(price_usd="1000"))
    (tmp_path / "b.yaml").write_text(gpu_yaml(price_usd="2000"))
    with pytest.raises(ProfileError) as e:
        catalog.load([tmp_path])
    assert e.value.problems == [f"{tmp_path / 'b.yaml'}:2: gpus[0].id: 'my-gpu' is also defined at {tmp_path / 'a.yaml'}:2; "
                                "define it once (a user file may override a built-in entry, not another user file's)"]


def test_same_assumption_in_two_user_files_is_an_error(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text("assumptions:\n  pue: {value: 1.2, rationale: r, source: s}\n")
    with pytest.raises(ProfileError) as e:
        catalog.load([tmp_path / "a.yaml", tmp_path / "b.yaml"])
    assert e.value.problems == [f"{tmp_path / 'b.yaml'}:2: assumptions.pue: 'pue' is also defined at {tmp_path / 'a.yaml'}:2; "
                                "define it once (a user file may override a built-in entry, not another user file's)"]


def test_a_path_given_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(gpu_yaml())
    assert "my-gpu" in catalog.load([tmp_path, tmp_path / "a.yaml", tmp_path]).entries["gpus"]


@pytest.mark.parametrize(("text", "message"), [
    (gpu_yaml(name="[My GPU"), "4: column 11: YAML syntax error: did not find expected ',' or ']'"),
    ("gpus:\n  - id: x\n   name: y\n", "3: column 4: YAML syntax error: did not find expected '-' indicator"),
    ("gpus:\n\t- id: x\n", "2: column 1: YAML syntax error: found character that cannot start any token"),
    ("gpus: 'open\n", "2: column 1: YAML syntax error: found unexpected end of stream"),
    ("gpus: *nowhere\n", "1: column 7: YAML syntax error: found undefined alias 'nowhere'"),
])
def test_yaml_syntax_errors_give_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    path, line = only_problem(tmp_path, text)
    assert line == f"{path}:{message}"


def test_unknown_profile_kind(tmp_path: Path) -> None:
    path, found = problems_in(tmp_path, "gpu:\n  - id: x\nwidgets: []\n")
    assert found == [
        f"{path}:1: gpu: unknown profile kind; did you mean 'gpus'?",
        f"{path}:3: widgets: unknown profile kind; valid kinds: gpus, models, apis, rentals, hosts, quantizations, engines, "
        "scenarios, calibrations, assumptions",
    ]


def test_unknown_assumption_name(tmp_path: Path) -> None:
    text = "assumptions:\n  electricity_usd_per_kwhh:\n    value: 0.2\n    rationale: r\n    source: s\n"
    path, line = only_problem(tmp_path, text)
    assert line == f"{path}:2: assumptions.electricity_usd_per_kwhh: unknown assumption; did you mean 'electricity_usd_per_kwh'?"


def test_bad_assumption_value(tmp_path: Path) -> None:
    text = "assumptions:\n  pue:\n    value: .nan\n    rationale: r\n    source: s\n    units: x\n"
    path, found = problems_in(tmp_path, text)
    assert found == [
        f"{path}:3: assumptions.pue.value: expected a number >= 1 and <= 100, got nan (numbers must be finite)",
        f"{path}:6: assumptions.pue.units: unknown key; did you mean 'unit'?",
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("- a\n- b\n", "1: (top level): expected a mapping of kinds (gpus, models, apis, rentals, hosts, quantizations, engines, "
                   "scenarios, calibrations, assumptions)"),
    ("gpus:\n  id: x\n", "1: gpus: expected a list of entries, each with an `id`"),
    ("gpus:\n  - just text\n", "2: gpus[0]: expected a mapping, got 'just text'"),
    ("assumptions: [1]\n", "1: assumptions: expected a mapping of name -> {value, rationale, source}"),
    ("gpus:\n  - 1: x\n", "2: gpus[0]: key 1 must be text"),
])
def test_wrong_shapes(tmp_path: Path, text: str, message: str) -> None:
    path, line = only_problem(tmp_path, text)
    assert line == f"{path}:{message}"


def test_every_problem_in_a_file_is_reported_in_line_order(tmp_path: Path) -> None:
    text = gpu_yaml("    colour: red\n", memory_gib="0", price_usd="'$1,599'")
    path, found = problems_in(tmp_path, text)
    assert [int(line.split(":")[1]) for line in found] == [LINE["memory_gib"], LINE["price_usd"], EXTRA_LINE]
    assert all(line.startswith(f"{path}:") for line in found)
    assert str(ProfileError(found)).endswith("(and 2 more; run `llmcost profiles validate` to list them)")


def test_problems_are_one_printable_line_even_for_keys_with_newlines(tmp_path: Path) -> None:
    path, line = only_problem(tmp_path, gpu_yaml('    "bad\\nkey\\u001b[2J": 1\n'))
    assert line == f"{path}:{EXTRA_LINE}: gpus[0].'bad\\nkey\\x1b[2J': unknown key; valid keys: " + line.split("valid keys: ")[1]
    assert "\n" not in line and "\x1b" not in line


def test_blank_or_padded_keys_are_quoted_in_key_paths(tmp_path: Path) -> None:
    path, found = problems_in(tmp_path, gpu_yaml("    ' ': 1\n    'name ': x\n") + "' gpus': []\n")
    assert found == [
        f"{path}:{EXTRA_LINE}: gpus[0].' ': unknown key; valid keys: " + found[0].split("valid keys: ")[1],
        f"{path}:{EXTRA_LINE + 1}: gpus[0].'name ': unknown key; did you mean 'name'?",
        f"{path}:{EXTRA_LINE + 2}: ' gpus': unknown profile kind; did you mean 'gpus'?",
    ]


def test_missing_profiles_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(LlmcostError, match="does not exist; pass a directory of .yaml files or a file"):
        catalog.load([tmp_path / "nope"])


def test_unknown_id_suggests_the_closest_ids() -> None:
    with pytest.raises(LlmcostError) as caught:
        catalog.load().get("models", "llama-7")
    assert str(caught.value) == "unknown model 'llama-7'; did you mean 'llama-7b', 'llama-2-7b', 'llama-2-70b'?"


# ----------------------------------------------------------------------------------------- built-ins

REQUIRED = {
    "gpus": "rtx-3060-12gb rtx-3080 rtx-3090 rtx-3090-ti rtx-4060-ti-16gb rtx-4070-ti-super rtx-4080 rtx-4080-super "
            "rtx-4090 rtx-5080 rtx-5090 rx-7900-xtx v100-sxm-32gb a10g l4 l40s a100-40gb a100-80gb h100-pcie "
            "h100-sxm h200 b200",
    "models": "gpt-3-175b gopher-280b lamda-137b palm-540b mt-nlg-530b bloom-176b opt-175b llama-7b llama-13b "
              "llama-33b llama-65b alpaca-7b vicuna-13b pythia-12b dolly-v2-12b oasst-sft-pythia-12b chinchilla-70b "
              "llama-2-7b llama-2-13b llama-2-70b llama-3.1-8b llama-3.1-70b llama-3.1-405b mistral-7b mixtral-8x7b "
              "qwen2.5-7b qwen2.5-14b qwen2.5-32b qwen2.5-72b gemma-2-9b gemma-2-27b phi-3-mini falcon-7b falcon-40b "
              "falcon-180b gpt-oss-20b gpt-oss-120b",
    "apis": "openai/gpt-3.5-turbo openai/gpt-4o openai/gpt-4o-mini openai/gpt-4.1-mini openai/gpt-5 openai/gpt-5-mini "
            "openai/gpt-5-nano anthropic/claude-3-haiku anthropic/claude-haiku-4-5 anthropic/claude-sonnet-4-5 "
            "google/gemini-2.5-flash google/gemini-2.5-flash-lite google/gemini-2.5-pro deepseek/deepseek-chat "
            "together/llama-3.1-8b together/llama-3.1-70b fireworks/llama-3.1-8b groq/llama-3.1-8b-instant "
            "groq/llama-3.3-70b",
    "quantizations": "bf16 fp16 fp8 int8 q8_0 q6_k q5_k_m q4_k_m q4_0 nf4 awq-int4 gptq-int4",
    "engines": "llama.cpp vllm exllamav2 tensorrt-llm mlc-llm",
}


@pytest.fixture(scope="module")
def builtin() -> catalog.Catalog:
    return catalog.load()


@pytest.mark.parametrize("kind", sorted(REQUIRED))
def test_required_builtin_ids_exist(builtin: catalog.Catalog, kind: str) -> None:
    missing = [i for i in REQUIRED[kind].split() if i not in builtin.entries[kind]]
    assert missing == []


def test_every_assumption_the_engine_reads_is_defined_with_a_source(builtin: catalog.Catalog) -> None:
    assert set(builtin.assumptions) == set(catalog.ASSUMPTION_NAMES)
    assert all(a.source.strip() and a.rationale.strip() for a in builtin.assumptions.values())


@pytest.mark.parametrize("kind", ["gpus", "models", "apis", "rentals", "quantizations", "engines"])
def test_every_builtin_number_has_a_source(builtin: catalog.Catalog, kind: str) -> None:
    uncovered = {i: schema.uncovered_numbers(rec) for i, rec in builtin.entries[kind].items()}
    assert {i: u for i, u in uncovered.items() if u} == {}
    assert all(all(s.strip() for s in rec.sources.values()) for rec in builtin.entries[kind].values())


def test_every_price_has_a_date(builtin: catalog.Catalog) -> None:
    assert all(api.as_of for api in builtin.entries["apis"].values())
    assert all(r.as_of for r in builtin.entries["rentals"].values())
    assert all(g.price_as_of for g in builtin.entries["gpus"].values())
    assert [g.id for g in builtin.entries["gpus"].values() if g.used_price_usd is not None and not g.used_price_as_of] == []


def test_builtin_locations_are_relative_to_the_profiles_folder(builtin: catalog.Catalog) -> None:
    loc = builtin.where[("gpus", "rtx-4090")]
    assert loc.path == "profiles/gpus.yaml"
    assert (catalog.builtin_dir() / "gpus.yaml").read_text().splitlines()[loc.line - 1].strip() == "- id: rtx-4090"


def _published_active_b(notes: str) -> float | None:
    found = re.search(r"vs published ([\d.]+)B", notes or "")
    return float(found.group(1)) if found else None


def test_moe_models_derive_active_parameters_near_the_published_count(builtin: catalog.Catalog) -> None:
    """Active = total - (experts - experts_per_token) x expert size, within 10% of the count in the notes.

    OpenAI counts gpt-oss active parameters without the input embedding (a table lookup, no matmul);
    where the notes say so, that embedding (vocab x d_model) is taken off before comparing.
    """
    checked = {}
    for m in builtin.entries["models"].values():
        if m.experts is None:
            continue
        derived_b = float(active_params(m.params_b * 1e9, m.experts, m.experts_per_token, m.expert_params_b * 1e9)) / 1e9
        published_b = _published_active_b(m.notes)
        if published_b is None:
            continue
        if re.search(r"input embedding.*exclud", m.notes):
            derived_b -= m.vocab * m.d_model / 1e9
        checked[m.id] = derived_b / published_b
    assert {"mixtral-8x7b", "gpt-oss-20b", "gpt-oss-120b"} <= set(checked)
    assert {i: round(r, 3) for i, r in checked.items() if not 0.9 <= r <= 1.1} == {}


def test_generated_json_schema_validates_the_builtin_files() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    files = sorted(catalog.builtin_dir().glob("*.yaml"))
    assert files
    for path in files:
        doc = read_yaml(path)
        for kind in doc:
            validator = jsonschema.Draft202012Validator(json_schema.json_schema(kind))
            errors = [f"{path.name}: {'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(doc)]
            assert errors == []


def test_generated_json_schema_rejects_what_the_loader_rejects() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema.json_schema("gpus"))
    good = yaml.safe_load(gpu_yaml().replace("2022-10-12", "'2022-10-12'"))
    assert list(validator.iter_errors(good)) == []
    for bad in ({"colour": "red"}, {"memory_gib": 0}, {"memory_gib": "24 GB"}, {"memory_bandwidth_gb_per_s": "1,008"}, {"class": "consumr"}, {"id": "My GPU"}):
        entry = {**good["gpus"][0], **bad}
        assert list(validator.iter_errors({"gpus": [entry]})), bad


@pytest.mark.parametrize("kind", schema.ALL_KINDS)
def test_json_schema_is_a_valid_schema(kind: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(json_schema.json_schema(kind))


# --------------------------------------------------------------------------------- user overrides

def rtx_4090_at(price: int) -> str:
    return gpu_yaml(id="rtx-4090", name=f"RTX 4090 at {price}", price_usd=str(price))


def test_user_file_overrides_a_builtin_by_id(tmp_path: Path, builtin: catalog.Catalog) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(rtx_4090_at(1234))
    cat = catalog.load([path])
    assert cat.get("gpus", "rtx-4090").price_usd == 1234.0
    assert cat.where[("gpus", "rtx-4090")] == catalog.Located(str(path), 2)
    assert len(cat.entries["gpus"]) == len(builtin.entries["gpus"])


def test_env_comes_before_cli_and_user_files_may_not_override_each_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for price in (1111, 2222):
        (tmp_path / f"p{price}").mkdir()
        (tmp_path / f"p{price}" / "gpus.yaml").write_text(rtx_4090_at(price))
    monkeypatch.setenv("LLMCOST_PROFILES", str(tmp_path / "p1111"))
    assert catalog.load(catalog.user_profile_paths()).get("gpus", "rtx-4090").price_usd == 1111.0
    paths = catalog.user_profile_paths([str(tmp_path / "p2222")])
    assert paths == [tmp_path / "p1111", tmp_path / "p2222"]
    with pytest.raises(ProfileError, match="gpus.yaml:2: gpus\\[0\\].id: 'rtx-4090' is also defined at .*p1111.gpus.yaml:2"):
        catalog.load(paths)
    monkeypatch.setenv("LLMCOST_PROFILES", "")
    assert catalog.user_profile_paths() == []


def test_overrides_of_builtins_are_recorded_with_the_builtin_place(tmp_path: Path, builtin: catalog.Catalog) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(rtx_4090_at(1234))
    cat = catalog.load([path])
    assert cat.overridden == {("gpus", "rtx-4090"): builtin.where[("gpus", "rtx-4090")]}
    assert builtin.where[("gpus", "rtx-4090")].path == "profiles/gpus.yaml" and catalog.load().overridden == {}


def test_multi_kind_user_file_with_references_between_and_to_builtins(tmp_path: Path, valid_profiles) -> None:
    doc = valid_profiles()
    doc["rentals"].append({**doc["rentals"][0], "id": "test/on-builtin", "gpu": "rtx-3090"})
    doc["apis"].append({**doc["apis"][0], "id": "test/api-builtin", "serves_model": "llama-3.1-8b"})
    path = tmp_path / "everything.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    cat = catalog.load([path])
    assert cat.get("rentals", "test/rental").gpu == "test-gpu"
    assert cat.get("rentals", "test/on-builtin").gpu == "rtx-3090"
    assert cat.get("apis", "test/api-builtin").serves_model == "llama-3.1-8b"
    assert cat.get("engines", "test-engine").bandwidth_efficiency == {"default": 0.7}
    assert cat.value("electricity_usd_per_kwh") == 0.2
    assert cat.where[("assumptions", "electricity_usd_per_kwh")].path == str(path)


def test_the_sample_profiles_load_without_the_builtins(tmp_path: Path, valid_profiles) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(valid_profiles(), sort_keys=False))
    cat = catalog.load([path], builtin=False)
    assert {k: list(v) for k, v in cat.entries.items() if v} == {
        "gpus": ["test-gpu"], "models": ["test-model"], "apis": ["test/api"], "rentals": ["test/rental"],
        "quantizations": ["test-q"], "engines": ["test-engine"]}


def test_directories_are_searched_recursively_for_yaml_files_only(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "g.yml").write_text(gpu_yaml())
    (tmp_path / "README.md").write_text("gpus: not yaml to load\n")
    (tmp_path / "notes.txt").write_text("\x00\x01")
    assert "my-gpu" in catalog.load([tmp_path]).entries["gpus"]
