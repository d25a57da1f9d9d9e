"""The README's command reference, generated from the real CLI (`python tests/readme_help.py --write`).

tests/test_readme.py checks that the README holds exactly what this prints.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

COMMANDS = [[], ["compare"], ["breakeven"], ["sweep"], ["sensitivity"], ["pretrain"], ["finetune"], ["serve"], ["calibrate"], ["diff"],
            ["profiles", "list"], ["profiles", "show"], ["profiles", "validate"], ["profiles", "schema"],
            ["profiles", "import-prices"]]
START, END = "<!-- help:start -->", "<!-- help:end -->"
README = Path(__file__).resolve().parent.parent / "README.md"


def help_text(argv: list[str]) -> str:
    from llmcost.cli.app import main

    os.environ["COLUMNS"] = "100"
    os.environ["NO_COLOR"] = "1"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main([*argv, "--help"])
    return buf.getvalue().rstrip() + "\n"


def section() -> str:
    parts = [START, ""]
    for argv in COMMANDS:
        parts += [f"<details><summary><code>llmcost {' '.join(argv + ['--help'])}</code></summary>", "", "```",
                  help_text(argv).rstrip(), "```", "", "</details>", ""]
    parts.append(END)
    return "\n".join(parts)


def current() -> str:
    text = README.read_text()
    return text[text.index(START): text.index(END) + len(END)]


if __name__ == "__main__":
    if "--write" in sys.argv:
        text = README.read_text()
        README.write_text(text.replace(current(), section()) if START in text else text.rstrip() + "\n\n" + section() + "\n")
    else:
        print(section())
