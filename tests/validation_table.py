"""Print the estimate-vs-published table (Markdown) for the README: `python3 tests/validation_table.py`
(`--write` puts it into README.md between the validation-table markers).

The figures, their sources, tolerances and known gaps are the ones tests/test_validation.py checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
START, END = "<!-- validation-table:start -->", "<!-- validation-table:end -->"


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


def readme_section() -> str:
    text = README.read_text()
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n")


def write() -> None:
    text = README.read_text()
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(f"{head}{START}\n{table()}\n{END}{tail}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
    else:
        print(table())
