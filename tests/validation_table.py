"""Print the estimate-vs-published table (Markdown) shown in docs/validation.md: `python3 tests/validation_table.py`
(`python tests/docs_pages.py --write` puts it there; tests/test_docs.py checks the page is current).

The figures, their sources and tolerances are the ones tests/test_validation.py checks.
"""

from __future__ import annotations

import sys
from pathlib import Path


def fmt(x: float) -> str:
    if x == 0 or 1e-2 <= abs(x) < 1e7:
        return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"
    return f"{x:.3g}"


def table() -> str:
    here = Path(__file__).resolve().parent
    sys.path[:0] = [str(here), str(here.parent)]  # the test module, and llmcost from a checkout
    from test_validation import FIGURES, HW_FIGURES, HW_GAPS, HW_MISSING

    lines = ["| figure | source | estimate | reported | error |", "|---|---|---:|---:|---:|"]
    for fig in [*FIGURES, *HW_FIGURES]:
        value = fig.value()
        bound = {"at least": "> ", "at most": "< "}.get(fig.bound, "")
        tolerance = "bound" if fig.bound else f"±{fig.tolerance:.0%}"
        lines.append(f"| {fig.name} | {fig.source} | {fmt(value)} {fig.unit} | {bound}{fmt(fig.reported)} {fig.unit} "
                     f"| {fig.error():+.1%} ({tolerance}) |")
    # issue 17: published figures out of reach, and figures nobody has published, shown as gaps
    for fig, reason in HW_GAPS:
        lines.append(f"| {fig.name} | {fig.source} | {fmt(fig.value())} {fig.unit} | {fmt(fig.reported)} {fig.unit} "
                     f"| {fig.error():+.1%} (known gap: {reason}) |")
    for name, reason in HW_MISSING:
        lines.append(f"| {name} | none | - | - | gap: {reason} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
