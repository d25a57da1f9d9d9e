"""The command reference (docs/commands.md), generated from the real CLI (`python tests/readme_help.py --write`).

tests/test_readme.py checks that docs/commands.md holds exactly what this prints.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path

COMMANDS = [[], ["compare"], ["breakeven"], ["sweep"], ["sensitivity"], ["pretrain"], ["finetune"], ["serve"], ["calibrate"], ["diff"],
            ["profiles", "list"], ["profiles", "show"], ["profiles", "validate"], ["profiles", "schema"],
            ["profiles", "import-prices"], ["profiles", "import-model"]]
START, END = "<!-- help:start -->", "<!-- help:end -->"
ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
REFERENCE = ROOT / "docs" / "commands.md"


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
    text = REFERENCE.read_text()
    return text[text.index(START): text.index(END) + len(END)]


if __name__ == "__main__":
    if "--write" in sys.argv:
        text = REFERENCE.read_text()
        REFERENCE.write_text(text.replace(current(), section()))
    else:
        print(section())
