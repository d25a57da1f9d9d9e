"""The README's quick start and the command reference (docs/commands.md) match the real CLI."""

from __future__ import annotations

import re

import readme_help


def test_command_reference_is_current() -> None:
    """Regenerate with `python tests/readme_help.py --write` after changing an option."""
    assert readme_help.current() == readme_help.section()


def test_the_reference_lives_in_docs_and_the_readme_links_to_it() -> None:
    readme = readme_help.README.read_text()
    assert readme_help.START not in readme and "Usage: llmcost" not in readme
    assert "(docs/commands.md)" in readme
    reference = readme_help.REFERENCE.read_text()
    assert all(f"<code>llmcost {' '.join(argv + ['--help'])}</code>" in reference for argv in readme_help.COMMANDS)


def test_quick_start_is_two_commands_and_ci_runs_the_second() -> None:
    text = readme_help.README.read_text()
    block = text.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines() if line.strip()]
    assert commands == ["pip install . && llmcost compare", "pip install '.[test]' && python -m pytest -q"]
    ci = (readme_help.README.parent / ".ci" / "run").read_text()
    assert re.search(r"^pip install '\.\[test\]' && python -m pytest -q$", ci, re.MULTILINE)
