"""llmcost: total cost of ownership for large language models."""

from typing import Any


def __getattr__(name: str) -> Any:
    """`llmcost.__version__`, from the package metadata when first asked: importing importlib.metadata costs
    about as much as the rest of `llmcost compare`'s start-up, and only `--version` needs it."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("llmcost")
        except PackageNotFoundError:  # running from a checkout without installing
            return "0+unknown"
    raise AttributeError(f"module 'llmcost' has no attribute {name!r}")
