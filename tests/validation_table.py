"""Print the estimate-vs-published table (Markdown) shown in docs/validation.md: `python3 tests/validation_table.py`
(`python tests/docs_pages.py --write` puts it there; tests/test_docs.py checks the page is current).

The figures, their sources, tolerances and known gaps are the ones tests/test_validation.py checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def fmt(x: float) -> str:
    if x == 0 or 1e-2 <= abs(x) < 1e7:
        return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"
    return f"{x:.3g}"


def table() -> str:
    sys.path[:0] = [str(HERE), str(HERE.parent)]  # the test module, and llmcost from a checkout
    from test_validation import FIGURES, HW_FIGURES, HW_GAPS, HW_MISSING, MAX_TOLERANCE

    lines = ["| figure | source | estimate | reported | error |", "|---|---|---:|---:|---:|"]
    gaps = []
    for fig in [*FIGURES, *HW_FIGURES]:
        value = fig.value()
        bound = {"at least": "> ", "at most": "< "}.get(fig.bound, "")
        tolerance = "bound" if fig.bound else "known gap" if fig.gap else f"±{fig.tolerance:.0%}"
        lines.append(f"| {fig.name} | {fig.source} | {fmt(value)} {fig.unit} | {bound}{fmt(fig.reported)} {fig.unit} "
                     f"| {fig.error():+.1%} ({tolerance}) |")
        if fig.gap:
            gaps.append(f"- **{fig.name}** ({fig.error():+.0%}): {fig.gap}.")
    for fig, reason in HW_GAPS:  # Apple and AMD figures out of reach (issue #17)
        lines.append(f"| {fig.name} | {fig.source} | {fmt(fig.value())} {fig.unit} | {fmt(fig.reported)} {fig.unit} "
                     f"| {fig.error():+.1%} (known gap) |")
        gaps.append(f"- **{fig.name}** ({fig.error():+.0%}): {reason}.")
    gaps += [f"- **{name}**: no published figure to compare with ({reason})." for name, reason in HW_MISSING]
    lines += ["", f"Known gaps (no figure passes on a tolerance above {MAX_TOLERANCE:.0%}; these are outside it, and why):", ""]
    return "\n".join(lines + gaps)


if __name__ == "__main__":
    print(table())
