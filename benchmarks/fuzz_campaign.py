"""The long tier of the fuzz campaign (tests/fuzzcli/): at least 5,000 generated invocations over every command
and option, every edge value of the bounds table through the commands that read it, and the I/O faults and
signals in subprocesses; prints the invocations by command and exit code and every contract breach found.

    python benchmarks/fuzz_campaign.py                      # 5,000 + all edge values + 70 faults, seed 2026
    python benchmarks/fuzz_campaign.py --runs 20000 --seed 7

Exit 1 when the contract broke anywhere. Writes benchmarks/results/fuzz.json (counts, not timings).
`pytest -m fuzz_long` runs the same campaign as a test.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzzcli  # noqa: E402 - the harness lives with the tests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5000, help="generated in-process invocations (default 5000)")
    parser.add_argument("--edges", type=int, default=None, help="edge-value invocations (default: all of them)")
    parser.add_argument("--faults", type=int, default=70, help="subprocess I/O faults and signals (default 70)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    os.environ.setdefault("LLMCOST_TODAY", "2026-11-26")  # price ages as in the tests
    os.environ.setdefault("XDG_CACHE_HOME", tempfile.mkdtemp(prefix="llmcost-cache-"))
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="llmcost-fuzz-") as tmp:
        total = args.runs + (len(fuzzcli.edges()) if args.edges is None else args.edges)

        def progress(i: int) -> None:
            if i % 500 == 0 or i == total:
                sys.stderr.write(f"\r{i:,} / {total:,} invocations, {time.perf_counter() - start:.0f} s")

        tally = fuzzcli.campaign(args.runs, args.seed, Path(tmp) / "ws", n_edges=args.edges, progress=progress)
        sys.stderr.write("\n")
        counts, faults = fuzzcli.fault_campaign(args.faults, args.seed, Path(tmp) / "faults")
    print(tally.report())
    print(f"subprocess faults: {sum(counts.values())} ({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))}); "
          f"breaches: {len(faults)}")
    for text, problems in faults:
        print(f"  {text}\n    -> {'; '.join(problems)}")
    print(f"{tally.invocations + sum(counts.values()):,} invocations in {time.perf_counter() - start:.0f} s")
    result = {"seed": args.seed, "invocations": tally.invocations, "faults": sum(counts.values()),
              "by_command_and_exit": {f"{c} exit {k}": n for (c, k), n in sorted(tally.runs.items(), key=str)},
              "faults_by_kind": dict(counts), "outputs_parsed": dict(tally.outputs),
              "breaches": len(tally.found) + len(faults)}
    (Path(__file__).parent / "results" / "fuzz.json").write_text(json.dumps(result, indent=2) + "\n")
    return 1 if tally.found or faults else 0


if __name__ == "__main__":
    sys.exit(main())
