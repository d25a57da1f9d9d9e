"""The fuzz campaign of issue #14 (item 6): generated `llmcost` invocations over every command and option, each
checked against the contract.

Invocations run in-process through the real entry point (`llmcost.cli.app.main`), in a workspace of generated
input files (scenarios, grids, profile directories, price files, benchmark result files) and output targets
(existing files, symlinks, directories, devices, names too long). Values are typical, at the edges of their
bounds (the one table, `llmcost.schema.quantities`) and hostile: 0, negatives, 1e300, 400-digit numbers, NaN
and inf as text, huge counts, empty strings, unicode, control characters, every assumption at its extremes
through `--set assumptions.X=...`, hostile COLUMNS values. I/O faults (a full disk, a closed pipe, a reader that
leaves after one byte, a file-size limit, FIFOs and devices) and signals (SIGTERM, SIGHUP, SIGINT mid-sweep)
run `python -m llmcost` in subprocesses.

The contract, asserted on every invocation (`violations`):
- exit 0, 1 or 2 only (a signal: 128 + its number); nothing raised out of `main`; no traceback and no NumPy
  (or other Python) warning on stderr; no control character on stderr;
- exit 2 is exactly one `llmcost: error:` line (`profiles validate` lists its problems instead); exit 1 is the
  one line of a tripped gate; exit 0 has none;
- a value outside its bounds (known from the table, not from llmcost's answer) exits 2;
- every CSV, JSON and JSON Lines output (stdout or the -o file) parses, and every numeric cell is finite and,
  outside the signed columns (`SIGNED`), not negative: no negative money, hours or energy; tables and Markdown
  hold no `nan` or `inf` and no control character;
- no user file harmed: every input is unchanged, an existing -o target is unchanged after a failed run (and is
  still a symlink, FIFO or device when it was one), no temporary file is left behind.

`campaign(n, seed)` runs n generated invocations; `fault_cases` the subprocess ones. The fast tier
(tests/test_fuzz_cli.py) runs a few hundred on every test run; the long tier (`python benchmarks/fuzz_campaign.py`,
or `pytest -m fuzz_long`) runs at least 5,000 and prints the counts.
"""

from __future__ import annotations

from fuzzcli.campaign import EDGE_COMMANDS, Tally, campaign, data_outputs, edges, run_in_process
from fuzzcli.contract import SIGNED, Case, Outcome, output_problems, violations
from fuzzcli.faults import Fault, fault_campaign, fault_cases, run_fault
from fuzzcli.generate import COMMANDS, FORMATS, NUMERIC_KEYS, POOLS, generate, number_text, param_key, valid_for
from fuzzcli.workspace import Workspace

__all__ = ["COMMANDS", "EDGE_COMMANDS", "FORMATS", "NUMERIC_KEYS", "POOLS", "SIGNED", "Case", "Fault", "Outcome", "Tally", "Workspace",
           "campaign", "data_outputs", "edges", "fault_campaign", "fault_cases", "generate", "number_text", "output_problems",
           "param_key", "run_fault", "run_in_process", "valid_for", "violations"]
