"""llmcost: total cost of ownership for large language models.

The Python API (documented in docs/api.md): `load_catalog`, `scenario`, `compare`, `breakeven`, `serve`,
`finetune`, `pretrain`, `sweep`, `sensitivity`, `calibrate`, `diff`. Each is imported on first use, so `import llmcost` stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__", "breakeven", "calibrate", "compare", "diff", "finetune", "load_catalog", "pretrain", "scenario",
           "sensitivity", "serve", "sweep"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("llmcost")
        except PackageNotFoundError:  # running from a checkout without installing
            return "0+unknown"
    if name in __all__:
        from llmcost import api

        value = getattr(api, name)
        globals()[name] = value  # found directly from now on: a script's loop calls llmcost.serve many times
        return value
    raise AttributeError(f"module 'llmcost' has no attribute {name!r}")
