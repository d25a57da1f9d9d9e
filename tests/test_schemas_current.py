"""The JSON Schemas shipped in profiles/schemas/ (for editors) are the ones the loader's schema generates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmcost import schema
from llmcost.schema import json_schema

PROFILES = Path(__file__).resolve().parent.parent / "profiles"


@pytest.mark.parametrize("kind", schema.ALL_KINDS)
def test_shipped_schema_is_current(kind: str) -> None:
    """Regenerate with: llmcost profiles schema KIND -o profiles/schemas/KIND.schema.json"""
    shipped = json.loads((PROFILES / "schemas" / f"{kind}.schema.json").read_text())
    assert shipped == json_schema.json_schema(kind)
    assert (PROFILES / f"{kind}.yaml").read_text().startswith(f"# yaml-language-server: $schema=./schemas/{kind}.schema.json\n")
