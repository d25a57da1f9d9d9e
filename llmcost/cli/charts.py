"""Charts of a comparison: cumulative cost per option over the horizon (crossings are payback points), the
same with and without the price trends, and monthly cost against volume; in the terminal as text, or as
PNG/SVG through matplotlib (the optional `plot` extra)."""

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
    for mark, (_, values) in zip(MARKS, series, strict=False):
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
    lines += [f"  {mark} = {name}" for mark, (name, _) in zip(MARKS, series, strict=False)]
    return "\n".join(lines)


def trend_series(result: Any, most: int = 4) -> list[str]:
    """The options the price-trend chart shows: the cheapest own, rent and API options and the reference API."""
    names = sorted(result.cumulative, key=lambda k: float(result.cumulative[k][-1]))
    picked = [next((k for k in names if k.startswith(prefix)), None) for prefix in ("own ", "rent ", "api ")]
    picked.append(f"api {result.reference}" if f"api {result.reference}" in result.cumulative else None)
    return [k for k in dict.fromkeys(picked) if k is not None and k in result.cumulative_flat][:most]


def terminal_trend_chart(result: Any, width: int = 64, height: int = 14) -> str:
    """Cumulative cost with the price trends (capital letters) and with flat prices (small letters) for the
    cheapest own, rent and API options and the reference API: what the trend assumptions do."""
    names = trend_series(result)
    if not names:
        return "(nothing to chart)"
    months = len(result.months)
    curves = [(MARKS[i], result.cumulative[k]) for i, k in enumerate(names)]
    curves += [(MARKS[i].lower(), result.cumulative_flat[k]) for i, k in enumerate(names)]
    top = max(float(v.max()) for _, v in curves) or 1.0
    grid = [[" "] * width for _ in range(height)]
    for mark, values in curves:
        for col in range(width):
            m = min(int(col * months / width), months - 1)
            row = height - 1 - int(float(values[m]) / top * (height - 1))
            grid[row][col] = mark if grid[row][col] in (" ", mark) else "*"
    lines = ["cumulative cost, USD: with the price trends (A, B, ...) and with flat prices (a, b, ...); * = overlap"]
    for i, cells in enumerate(grid):
        label = f"${top * (height - 1 - i) / (height - 1):>10,.0f} |" if i % 5 == 0 or i == height - 1 else " " * 11 + " |"
        lines.append(label + "".join(cells))
    lines.append(" " * 12 + "+" + "-" * width)
    lines.append(" " * 12 + f"month 1{' ' * (width - 14)}month {months}")
    lines += [f"  {MARKS[i]}/{MARKS[i].lower()} = {k}" for i, k in enumerate(names)]
    return "\n".join(lines)


def check_plot(path: str) -> None:
    """Reject a bad --plot before any work: wrong suffix, or matplotlib missing."""
    if not path.endswith((".png", ".svg")):
        raise LlmcostError(f"--plot {path!r}: use a .png or .svg file name")
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise LlmcostError("--plot needs matplotlib: pip install 'llmcost[plot]'")


def write_plot(result: Any, path: str, volume: tuple[Any, dict[str, Any]] | None = None) -> None:
    """Write the cumulative-cost chart (and, given `volume_curves`, monthly cost against volume) to PNG or
    SVG, atomically."""
    check_plot(path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from llmcost.render import output_stream

    panels = 2 + (1 if volume else 0)
    fig, axes = plt.subplots(1, panels, figsize=(7.5 * panels, 5), squeeze=False)
    ax = axes[0][0]
    for name, values in sorted(result.cumulative.items(), key=lambda kv: float(kv[1][-1]))[:10]:
        ax.plot(result.months, values, label=name)
    ax.set_xlabel("month")
    ax.set_ylabel("cumulative cost, USD")
    ax.set_title(f"cumulative cost (payback vs {result.reference} where lines cross)", fontsize=9)
    ax.legend(fontsize=7)
    ax_trend = axes[0][1]
    for name in trend_series(result):
        line, = ax_trend.plot(result.months, result.cumulative[name], label=f"{name} (trends)")
        ax_trend.plot(result.months, result.cumulative_flat[name], linestyle="--", color=line.get_color(), label=f"{name} (flat)")
    ax_trend.set_xlabel("month")
    ax_trend.set_ylabel("cumulative cost, USD")
    ax_trend.set_title("with the price trends (solid) and with flat prices (dashed)", fontsize=9)
    ax_trend.legend(fontsize=7)
    if volume:
        tokens, curves = volume
        ax2 = axes[0][2]
        for name in sorted(curves, key=lambda k: float(curves[k][len(tokens) // 2]))[:10]:
            ax2.loglog(tokens, curves[name], label=name)
        ax2.set_xlabel("tokens per day")
        ax2.set_ylabel("monthly cost, USD")
        ax2.set_title("monthly cost against volume (crossings are break-even points)", fontsize=9)
        ax2.legend(fontsize=7)
    fig.tight_layout()
    with output_stream(path) as out:
        fig.savefig(out.buffer if hasattr(out, "buffer") else path, format=path.rsplit(".", 1)[1])
    plt.close(fig)


def volume_curves(cat: Any, sc: Any, vs: str | None = None, points: int = 25, span: float = 100.0) -> tuple[Any, dict[str, Any]]:
    """Month-1 cost of each option at volumes from 1/span to span times the scenario's, through the same
    pipeline as compare (crossings with the reference API are break-even points)."""
    import numpy as np

    from llmcost import comparison, options, scenarios

    volumes = sc.workload.requests_per_day * np.geomspace(1.0 / span, span, points)
    opts = options.build(cat, sc)
    ev = comparison.evaluate(cat, scenarios.with_values(sc, {"workload.requests_per_day": volumes}), opts, points, vs)
    monthly = ev.res["monthly_usd"].reshape(len(opts), points)
    tokens_per_day = volumes * (sc.workload.input_tokens + sc.workload.output_tokens)
    labels = ev.table().columns["option"].reshape(len(opts), points)[:, 0]
    curves = {str(labels[i]): monthly[i] for i in range(len(opts)) if ev.fits[i].all()}
    return tokens_per_day, curves


def terminal_volume_chart(tokens_per_day: Any, curves: dict[str, Any], width: int = 64, height: int = 14, most: int = 8) -> str:
    """Monthly cost against daily volume, both on log scales, one letter per option."""
    import numpy as np

    names = sorted(curves, key=lambda k: float(curves[k][len(tokens_per_day) // 2]))[:most]
    if not names:
        return "(nothing to chart)"
    values = np.array([np.maximum(curves[k], 1e-6) for k in names])
    lo, hi = np.log10(values.min()), np.log10(values.max())
    hi = hi if hi > lo else lo + 1
    grid = [[" "] * width for _ in range(height)]
    points = len(tokens_per_day)
    for mark, row in zip(MARKS, values, strict=False):
        for col in range(width):
            k = min(int(col * points / width), points - 1)
            r = height - 1 - int((np.log10(row[k]) - lo) / (hi - lo) * (height - 1))
            grid[r][col] = mark if grid[r][col] in (" ", mark) else "*"
    lines = ["monthly cost, USD (log) against tokens/day (log); crossings are break-even points"]
    for i, cells in enumerate(grid):
        level = 10 ** (hi - (hi - lo) * i / (height - 1))
        lines.append((f"${level:>10.3g} |" if i % 4 == 0 or i == height - 1 else " " * 11 + " |") + "".join(cells))
    lines.append(" " * 12 + "+" + "-" * width)
    lines.append(" " * 12 + f"{tokens_per_day[0]:,.0f} tok/day" + " " * max(width - 34, 1) + f"{tokens_per_day[-1]:,.0f}")
    lines += [f"  {mark} = {name}" for mark, name in zip(MARKS, names, strict=False)]
    return "\n".join(lines)
