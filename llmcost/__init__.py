"""llmcost: total cost of ownership for large language models."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("llmcost")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0+unknown"
