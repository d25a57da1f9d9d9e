"""CSV output opened in a real spreadsheet engine (issue #13 item 7): LibreOffice Calc, headless, reads each CSV
the way a user's double-click would, with formula evaluation and special-number detection on, and saves it as
flat OpenDocument XML; the test reads every cell back.

Numbers must arrive as numbers (equal to the JSON output's), states ("never", "n/a", "does not fit") and
other text as text, and no cell may be a formula, even for profiles whose names start with =, +, - or @.

Skipped where neither `soffice` nor `libreoffice` is installed, so CI stays fast
(Debian/Ubuntu: `apt-get install libreoffice-calc`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")]

CSV_IMPORT = "CSV:44,34,76,1,,1033,false,true,false,false,false,-1,true"
"""Comma-separated, double-quoted, UTF-8, from line 1, English; quoted fields not forced to text, special numbers
detected, formulas evaluated (token 13): what a spreadsheet does at its most eager."""

NS = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0", "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
      "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
HOSTILE = ['=HYPERLINK("http://example.com/x","click")', "+SUM(1,1)", "-2+3", "@A1", '=cmd|" /C calc"!A0']


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def open_in_calc(csv_files: list[Path], out: Path) -> dict[str, list[list[dict[str, Any]]]]:
    """Each CSV converted by LibreOffice Calc to .fods, as rows of cells {type, value, text, formula}."""
    profile = out / "lo-profile"
    subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}", f"--infilter={CSV_IMPORT}",
                    "--convert-to", "fods", "--outdir", str(out), *map(str, csv_files)],
                   check=True, capture_output=True, timeout=300)
    return {f.stem: _cells(out / f"{f.stem}.fods") for f in csv_files}


def _cells(path: Path) -> list[list[dict[str, Any]]]:
    rows = []
    for tr in ET.parse(path).getroot().iter(_q("table", "table-row")):
        row: list[dict[str, Any]] = []
        for tc in tr.iter(_q("table", "table-cell")):
            cell = {"type": tc.get(_q("office", "value-type")), "value": tc.get(_q("office", "value")),
                    "boolean": tc.get(_q("office", "boolean-value")), "date": tc.get(_q("office", "date-value")),
                    "formula": tc.get(_q("table", "formula")),
                    "text": "\n".join("".join(p.itertext()) for p in tc.iter(_q("text", "p")))}
            row += [cell] * int(tc.get(_q("table", "number-columns-repeated"), "1"))
        if any(c["type"] for c in row):
            rows.append(row)
    return rows


def check_sheet(sheet: list[list[dict[str, Any]]], rows: list[dict[str, Any]], name: str) -> int:
    """Every cell is what the JSON row holds, typed as the spreadsheet should read it; returns the cells checked."""
    keys = list(rows[0])
    assert [c["text"] for c in sheet[0][: len(keys)]] == keys, name
    assert len(sheet) == len(rows) + 1, name
    checked = 0
    for line, row in zip(sheet[1:], rows, strict=True):
        for cell, key in zip(line, keys, strict=False):
            value = row[key]
            where = (name, row.get("option") or row.get("id") or row.get("name"), key, value, cell)
            assert cell["formula"] is None, where  # never a formula, whatever the text
            if isinstance(value, bool):
                assert cell["type"] == "boolean" and cell["boolean"] == str(value).lower(), where
            elif isinstance(value, (int, float)):
                assert cell["type"] == "float" and float(cell["value"]) == pytest.approx(value, rel=1e-12, abs=1e-300), where
            elif value in ("", None):
                assert cell["type"] is None, where
            elif _is_date(value):
                assert cell["type"] == "date" and cell["date"].startswith(value), where  # a date stays the same date
            else:
                shown = "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value
                assert cell["type"] == "string" and cell["text"] == shown, where  # states and names stay text
            checked += 1
    return checked


def _is_date(value: str) -> bool:
    return len(value) == 10 and value[4] == value[7] == "-" and value.replace("-", "").isdigit()


@pytest.fixture
def hostile_profiles(tmp_path: Path, valid_profiles) -> Path:
    """GPUs and APIs whose names are formulas (ids stay valid: the loader allows nothing else in an id)."""
    doc = valid_profiles()
    gpu, api = doc["gpus"][0], doc["apis"][0]
    doc["gpus"] = [{**gpu, "id": f"evil-gpu-{i}", "name": name} for i, name in enumerate(HOSTILE)]
    doc["apis"] = [{**api, "id": f"evil/api-{i}", "name": name, "serves_model": "llama-3.1-8b"} for i, name in enumerate(HOSTILE)]
    doc["rentals"] = [{**doc["rentals"][0], "gpu": "evil-gpu-0", "name": HOSTILE[0]}]
    for kind in ("models", "quantizations", "engines"):
        doc.pop(kind)
    path = tmp_path / "hostile.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_csv_opens_in_calc_with_numbers_as_numbers_states_as_text_and_no_formula(cli, tmp_path: Path, hostile_profiles: Path) -> None:
    profiles = ("--profiles", str(hostile_profiles))
    grid = tmp_path / "grid.yaml"
    grid.write_text("grid:\n  workload.requests_per_day: [100, 1000000]\n  options.gpus: [evil-gpu-0, rtx-3090]\n")
    commands = {
        "compare": ("compare", *profiles, "-g", "evil-gpu-1", "-g", "2xrtx-3090", "-g", "rtx-3060-12gb", "--set", "serving.model=llama-3.1-70b"),
        "compare_default": ("compare", *profiles),
        "breakeven": ("breakeven", *profiles, "-g", "evil-gpu-2"),
        "finetune": ("finetune", "-m", "llama-3.1-8b", "-g", "rtx-4090", "-g", "rtx-3060-12gb", "--method", "full",
                     "-a", "openai/gpt-4o-mini", "-a", "anthropic/claude-haiku-4-5"),
        "serve": ("serve", "-m", "llama-3.1-70b", "-g", "rtx-3090", "-g", "4xrtx-3090"),
        "gpus": ("profiles", "list", "gpus", *profiles),
        "apis": ("profiles", "list", "apis", *profiles),
        "rentals": ("profiles", "list", "rentals", *profiles),
        "sweep": ("sweep", str(grid), *profiles),
    }
    expected, files = {}, []
    for name, argv in commands.items():
        rc, out, err = cli(*argv, "-f", "json")
        assert rc == 0, (name, err)
        expected[name] = json.loads(out)
        files.append(tmp_path / f"{name}.csv")
        rc, _, err = cli(*argv, "-o", str(files[-1]))  # the format from the extension
        assert rc == 0, (name, err)
    base = tmp_path / "base.json"
    base.write_text(json.dumps(expected["compare_default"]))
    head = tmp_path / "head.json"
    head.write_text(json.dumps(expected["compare"]))
    rc, out, err = cli("diff", str(base), str(head), "-f", "json")
    assert rc == 0, err
    expected["diff"] = json.loads(out)
    files.append(tmp_path / "diff.csv")
    assert cli("diff", str(base), str(head), "-o", str(files[-1]))[0] == 0

    sheets = open_in_calc(files, tmp_path)
    checked = {name: check_sheet(sheets[name], expected[name], name) for name in expected}
    assert all(checked.values()), checked
    names = [c["text"] for row in sheets["gpus"] for c in row]
    assert all("'" + h in names for h in HOSTILE)  # every hostile name arrived, as text
    states = {c["text"] for sheet in sheets.values() for row in sheet for c in row if c["type"] == "string"}
    assert {"never", "n/a", "does not fit", "absent", "added"} <= states
