"""`llmcost sweep`: every combination of a parameter grid over a base scenario, streamed one chunk at a time.

- `grid`: grid files (keys, values, ranges, zip groups; numeric vs structural keys);
- `run`: each structural combination resolved once, numeric combinations through the compare pipeline as arrays;
- `write`: CSV, JSON Lines or JSON text, column by column, with --where and --fail-if.

Monte Carlo sweeps (`sweep --samples`) live with the rest of the sampling, in `llmcost.uncertainty`.
"""

from llmcost.sweeps.grid import Axis, Grid, Steps, cell_value, is_numeric, load_grid, set_text
from llmcost.sweeps.run import (
    CHUNK_ROWS,
    MAX_ROWS,
    Block,
    Size,
    blocks,
    check_rows,
    check_structural,
    chunks,
    columns_of,
    count,
    prices_used,
    rows,
    size,
    tables,
)
from llmcost.sweeps.write import EXCEL_ROWS, FORMATS, Result, Writer, check_condition, matches, run, texts

__all__ = ["CHUNK_ROWS", "EXCEL_ROWS", "FORMATS", "MAX_ROWS", "Axis", "Block", "Grid", "Result", "Size", "Steps", "Writer", "blocks",
           "cell_value", "check_condition", "check_rows", "check_structural", "chunks", "columns_of", "count", "is_numeric", "load_grid",
           "matches", "prices_used", "rows", "run", "set_text", "size", "tables", "texts"]
