"""Charts of a comparison: cumulative cost per option over the horizon (crossings are payback points),
in the terminal as text, or as PNG/SVG through matplotlib (the optional `plot` extra)."""

from __future__ import annotations

from typing import Any

from llmcost.errors import LlmcostError

MARKS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def terminal_chart(result: Any, width: int = 64, height: int = 16, most: int = 8) -> str:
    """Cumulative cost (USD) by month for the `most` cheapest options, one letter per option."""
    series = sorted(result.cumulative.items(), key=lambda kv: float(kv[1][-1]))[:most]
    if not series:
        return "(nothing to chart)"
    months = len(result.months)
    top = max(float(v.max()) for _, v in series) or 1.0
    grid = [[" "] * width for _ in range(height)]
    for mark, (_, values) in zip(MARKS, series):
        for col in range(width):
            m = min(int(col * months / width), months - 1)
            row = height - 1 - int(float(values[m]) / top * (height - 1))
            grid[row][col] = mark if grid[row][col] in (" ", mark) else "*"
    lines = [f"cumulative cost, USD (top ${top:,.0f}; * = overlap)"]
    for i, cells in enumerate(grid):
        label = f"${top * (height - 1 - i) / (height - 1):>10,.0f} |" if i % 5 == 0 or i == height - 1 else " " * 11 + " |"
        lines.append(label + "".join(cells))
    lines.append(" " * 12 + "+" + "-" * width)
    lines.append(" " * 12 + f"month 1{' ' * (width - 14)}month {months}")
    lines += [f"  {mark} = {name}" for mark, (name, _) in zip(MARKS, series)]
    return "\n".join(lines)


def write_plot(result: Any, path: str) -> None:
    """Write the cumulative-cost chart to PNG or SVG (atomically)."""
    if not path.endswith((".png", ".svg")):
        raise LlmcostError(f"--plot {path!r}: use a .png or .svg file name")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise LlmcostError("--plot needs matplotlib: pip install 'llmcost[plot]'") from None
    from llmcost.render import output_stream

    fig, ax = plt.subplots(figsize=(9, 5))
    for name, values in sorted(result.cumulative.items(), key=lambda kv: float(kv[1][-1]))[:10]:
        ax.plot(result.months, values, label=name)
    ax.set_xlabel("month")
    ax.set_ylabel("cumulative cost, USD")
    ax.set_title(f"cumulative cost per option (payback vs {result.reference} where lines cross)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    with output_stream(path) as out:
        fig.savefig(out.buffer if hasattr(out, "buffer") else path, format=path.rsplit(".", 1)[1])
    plt.close(fig)
