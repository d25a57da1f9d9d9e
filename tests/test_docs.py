"""docs/ shows what the tool produces (issue #13 item 9): the validation table, the benchmark figures and every
example's output are regenerated and compared (`python tests/docs_pages.py --write` after a deliberate change)."""

from __future__ import annotations

import conftest
import docs_pages
import pytest

from llmcost import yamlsrc


@pytest.mark.slow
@pytest.mark.parametrize("page", docs_pages.PAGES)
def test_each_page_shows_what_the_tool_prints_now(page: str) -> None:
    text = (docs_pages.DOCS / page).read_text()
    assert docs_pages.normalised(docs_pages.render_page(text)) == docs_pages.normalised(text)


@pytest.mark.slow
def test_the_readme_example_is_what_the_tool_prints_now() -> None:
    text = docs_pages.README.read_text()
    assert "```console\n$ llmcost compare\n" in text
    assert docs_pages.normalised(docs_pages.render_page(text)) == docs_pages.normalised(text)


@pytest.mark.slow
def test_every_generated_part_is_filled_and_every_example_runs() -> None:
    profiles = (docs_pages.DOCS / "profiles.md").read_text()
    assert profiles.count("```console\n$ llmcost") >= 5
    assert "llmcost: error" not in profiles and "Traceback" not in profiles
    for page, first_row in (("validation.md", "| GPT-3 175B training FLOPs |"), ("performance.md", "| `serving.serve` on")):
        assert first_row in (docs_pages.DOCS / page).read_text()


def test_the_examples_run_on_the_day_the_tests_pin() -> None:
    assert "{:04d}-{:02d}-{:02d}".format(*conftest.PINNED_TODAY) == docs_pages.TODAY


def test_limits_quoted_in_prose_are_the_loaders() -> None:
    profiles = (docs_pages.DOCS / "profiles.md").read_text()
    assert f"nesting deeper\nthan {yamlsrc.MAX_DEPTH} levels" in profiles
    assert f"files over {yamlsrc.MAX_FILE_BYTES / 1e6:g} MB" in profiles


def test_the_readme_links_to_the_pages_it_no_longer_holds() -> None:
    readme = (docs_pages.ROOT / "README.md").read_text()
    for page in (*docs_pages.PAGES, "commands.md"):
        assert f"(docs/{page})" in readme
    assert "| GPT-3 175B training FLOPs |" not in readme and "<!-- help:start -->" not in readme
    assert "### Validating profile" not in readme and "| benchmark | result | target |" not in readme
