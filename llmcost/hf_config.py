"""Any model: a Hugging Face `config.json` (read from disk, never fetched) as a model profile.

Dense, grouped-query, mixture-of-experts (routed and shared experts, leading dense layers), latent
attention (MLA) and sliding-window models. Parameter counts are derived from the shapes the file
gives (embeddings, attention, MLP or experts per layer), so active parameters follow from the
expert counts as for every built-in model. The profile's source is the file's name and SHA-256.

Field names are those of the `transformers` configuration classes (LlamaConfig, MixtralConfig,
Qwen3MoeConfig, DeepseekV3Config, GptOssConfig, Gemma2Config, Gemma3TextConfig, ...).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from llmcost import catalog as catalog_mod
from llmcost.catalog import Catalog, Located
from llmcost.errors import LlmcostError, ProfileError
from llmcost.schema import Model
from llmcost.userfiles import read_capped

MAX_CONFIG_BYTES = 4 * 2**20
"""A config.json is a few kilobytes; anything this large is not one."""

TIED_BY_DEFAULT = frozenset({"gemma", "gemma2", "gemma3", "gemma3_text"})
"""model_type values whose configuration class ties the embeddings unless the file says otherwise."""

UNGATED_TYPES = frozenset({"gpt2", "gpt_neox", "gptj", "opt", "bloom", "falcon", "gpt_bigcode", "mpt", "phi", "starcoder2"})
"""model_type values whose MLP has two matrices (up, down) rather than gate, up and down."""


def is_config_path(model: str) -> bool:
    """Whether a --model value names a config.json file rather than a profile id."""
    return model.endswith(".json")


def read_config(path: Path) -> tuple[dict[str, Any], str]:
    """The file's JSON object (the text model's part for multimodal configs) and its SHA-256."""
    data = read_capped(path, f"--model {str(path)!r}", MAX_CONFIG_BYTES, "give a model id or a Hugging Face config.json "
                       "(a few kilobytes)")
    try:
        config = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise LlmcostError(f"{path}: not valid JSON ({e}); give the model's config.json") from None
    if not isinstance(config, dict):
        raise LlmcostError(f"{path}: expected a JSON object (a Hugging Face config.json)")
    text = config.get("text_config")
    merged = {**config, **text} if isinstance(text, dict) else config
    return merged, hashlib.sha256(data).hexdigest()


def _int(config: Mapping[str, Any], path: Path, *keys: str, default: Any = None) -> int:
    for key in keys:
        value = config.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if value is not None and not (isinstance(value, int) and value == 0):
            raise LlmcostError(f"{path}: {key} = {value!r}: expected a whole number above 0")
    if default is None:
        raise LlmcostError(f"{path}: missing {' or '.join(keys)}; is this a Hugging Face config.json of a transformer?")
    return int(default)


def shape(config: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """Model profile fields (without id, name and provenance) from a config's shapes."""
    d = _int(config, path, "hidden_size", "d_model", "n_embd")
    layers = _int(config, path, "num_hidden_layers", "n_layer", "num_layers")
    heads = _int(config, path, "num_attention_heads", "n_head")
    kv_heads = _int(config, path, "num_key_value_heads", default=heads)
    head_dim = _int(config, path, "head_dim", default=d // heads)
    vocab = _int(config, path, "vocab_size")
    context = _int(config, path, "max_position_embeddings", "n_positions", "seq_length", default=2048)
    dense_ffn = _int(config, path, "intermediate_size", "ffn_dim", "n_inner", default=4 * d)
    experts = _int(config, path, "num_local_experts", "num_experts", "n_routed_experts", default=0) if any(
        config.get(k) for k in ("num_local_experts", "num_experts", "n_routed_experts")) else 0
    per_token = _int(config, path, "num_experts_per_tok", "experts_per_token", "moe_topk", default=2) if experts else 0
    moe_ffn = _int(config, path, "moe_intermediate_size", default=dense_ffn) if experts else 0
    model_type = str(config.get("model_type", ""))
    gated = model_type not in UNGATED_TYPES
    mats = 3 if gated else 2
    tied = bool(config.get("tie_word_embeddings", model_type in TIED_BY_DEFAULT))
    mla = bool(config.get("kv_lora_rank"))
    out: dict[str, Any] = {"layers": layers, "d_model": d, "heads": heads, "kv_heads": kv_heads, "ffn_dim": moe_ffn or dense_ffn,
                           "ffn_gated": gated, "vocab": vocab, "context": context, "tied_embeddings": tied}
    if mla:
        rope = _int(config, path, "qk_rope_head_dim")
        nope = _int(config, path, "qk_nope_head_dim", default=head_dim)
        v_dim = _int(config, path, "v_head_dim", default=nope)
        kv_rank = _int(config, path, "kv_lora_rank")
        q_rank = config.get("q_lora_rank") or 0
        q = (d * q_rank + q_rank * heads * (nope + rope)) if q_rank else d * heads * (nope + rope)
        attention = q + d * (kv_rank + rope) + kv_rank * heads * (nope + v_dim) + heads * v_dim * d
        out.update(head_dim=nope, kv_lora_rank=kv_rank, qk_rope_head_dim=rope, v_head_dim=v_dim)
    else:
        attention = d * heads * head_dim * 2 + d * kv_heads * head_dim * 2
        if head_dim != d // heads:
            out["head_dim"] = head_dim
    dense_layers = layers
    if experts:
        dense_layers = min(int(config.get("first_k_dense_replace") or 0), layers)
        shared = int(config.get("n_shared_experts") or 0) * mats * d * moe_ffn + mats * d * int(
            config.get("shared_expert_intermediate_size") or 0)
        moe_layers = layers - dense_layers
        expert = mats * d * moe_ffn
        moe_params = moe_layers * (experts * expert + d * experts + shared)
        out.update(experts=experts, experts_per_token=per_token, expert_params_b=round(expert * moe_layers / 1e9, 6))
    else:
        moe_params = 0
    sliding = sliding_layers(config, layers, model_type)
    if sliding:
        out.update(sliding_window=_int(config, path, "sliding_window"), sliding_layers=sliding)
    params = (vocab * d * (1 if tied else 2) + layers * (attention + 2 * d) + dense_layers * mats * d * dense_ffn + moe_params + d)
    out["params_b"] = round(params / 1e9, 6)
    return out


def sliding_layers(config: Mapping[str, Any], layers: int, model_type: str) -> int:
    """Layers with sliding-window attention: counted in `layer_types` (gpt-oss, recent transformers), all but
    every `sliding_window_pattern`-th (Gemma 3), every other (Gemma 2), or all when a sliding window is
    set and used (Mistral 7B v0.1); none otherwise (Qwen2 sets a window it does not use)."""
    window = config.get("sliding_window")
    if not isinstance(window, int) or window <= 0:
        return 0
    types = config.get("layer_types")
    if isinstance(types, list):
        return sum(1 for t in types if t == "sliding_attention")
    pattern = config.get("sliding_window_pattern")
    if isinstance(pattern, int) and pattern > 0:
        return layers - layers // pattern
    if model_type == "gemma2":
        return (layers + 1) // 2
    if config.get("use_sliding_window") is False:
        return 0
    return layers if model_type in ("mistral", "mixtral") or config.get("use_sliding_window") else 0


def model_id(config: Mapping[str, Any], path: Path, given: str | None = None) -> str:
    """`given`, else the name in `_name_or_path`, else the file's folder: lowercase, other characters as '-'."""
    raw = given or str(config.get("_name_or_path") or "").rstrip("/").split("/")[-1] or path.resolve().parent.name or path.stem
    ident = re.sub(r"[^a-z0-9._+-]+", "-", raw.lower()).strip("-._+")
    if not ident:
        raise LlmcostError(f"{path}: cannot make a model id from {raw!r}; give --id")
    return ident


def profile_text(path: Path, given_id: str | None = None) -> tuple[str, str]:
    """(model id, YAML text of a models profile file with that one entry) for a config.json."""
    config, digest = read_config(path)
    fields = shape(config, path)
    ident = model_id(config, path, given_id)
    written = dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    source = f"{path.name} (sha256 {digest}): shapes as given, params_b derived from them"
    params = fields.pop("params_b")
    entry = {"id": ident, "name": str(config.get("_name_or_path") or ident), "params_b": params, **fields,
             "license": "see the model card", "open_weights": True, "release_date": written,
             "sources": {"default": source, "release_date": f"date {path.name} was last written, not the model's release"},
             "notes": f"imported by llmcost profiles import-model from {path.name}"}
    header = ("# yaml-language-server: $schema=./schemas/models.schema.json\n"
              f"# Written by `llmcost profiles import-model {path.name}` from a Hugging Face config.json.\n")
    return ident, header + yaml.safe_dump({"models": [entry]}, sort_keys=False, allow_unicode=True)


def load_model(path: Path, given_id: str | None = None) -> Model:
    """The validated Model record of a config.json (loaded through the profile loader like any user file)."""
    ident, text = profile_text(path, given_id)
    with tempfile.TemporaryDirectory(prefix="llmcost-model-") as tmp:
        file = Path(tmp) / "models.yaml"
        file.write_text(text, encoding="utf-8")
        try:
            loaded = catalog_mod.load([file], builtin=False)
        except ProfileError as e:
            raise LlmcostError(f"{path}: the model it describes is not valid: {str(e).replace(str(file), path.name)}") from None
    record: Model = loaded.entries["models"][ident]
    return record


def with_model(cat: Catalog, model: str) -> tuple[Catalog, str]:
    """(catalog, model id): a config.json path adds its model to a copy of the catalog; an id passes through."""
    if not is_config_path(model):
        return cat, model
    record = load_model(Path(model))
    entries = {**cat.entries, "models": {**cat.entries["models"], record.id: record}}
    where = {**cat.where, ("models", record.id): Located(model, 1)}
    return Catalog(entries=entries, assumptions=cat.assumptions, where=where), record.id
