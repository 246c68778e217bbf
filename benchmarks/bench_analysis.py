"""How long the analyst's questions take on real machines: import + explain, lint, diff.

Targets (issue "Real machines"): on a 1,250-filter dump, import plus the explanation of one flow
under 2 s, lint under 30 s, diff under 5 s. Run from the checkout::

    python benchmarks/bench_analysis.py [--dumps DIR] [--repeat N]

DIR defaults to ``../shared/data/wfp-dumps`` beside the checkout. "explain" is the explanation
alone on an imported engine; the last column says how many journeys it ran for the combinations
of unknown callouts' answers it reports (the rest are proven twins, see
:mod:`wfpsim.analysis.whatif`). Each figure is the best of N runs (default 3) in this process,
measured with ``time.perf_counter``; the machine and its load average are printed first, since a
shared machine's figures vary.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

from wfpsim.analysis.diff import diff
from wfpsim.analysis.flows import explain_flow
from wfpsim.analysis.lint import lint
from wfpsim.netsh import load_netsh

ROOT = Path(__file__).resolve().parent.parent
DUMPS = ROOT.parent / "shared" / "data" / "wfp-dumps"
TARGETS = {"import + explain": 2.0, "lint": 30.0, "diff": 5.0}


def best(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of ``repeat`` runs, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


FLOW = ("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:443")


def explain(path: Path) -> object:
    """Import a dump and explain one outbound HTTPS connection on it."""
    engine, _ = load_netsh(path)
    return explain_flow(engine, *FLOW)


def main() -> None:
    """Print one row per dump."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=Path, default=DUMPS)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {load:.1f}")  # fmt: skip
    columns = (("import + explain", 16), ("explain", 7), ("lint", 7), ("diff", 7))
    print(f"{'dump':34} {'filters':>7} " + " ".join(f"{k:>{w + 1}}" for k, w in columns)
          + "  journeys run (of combinations)")  # fmt: skip
    for path in sorted(args.dumps.glob("*.xml")):
        engine, _report = load_netsh(path)
        other, _ = load_netsh(path)
        figures = {
            "import + explain": best(args.repeat, lambda p=path: explain(p)),
            "explain": best(args.repeat, lambda e=engine: explain_flow(e, *FLOW)),
            "lint": best(args.repeat, lambda e=engine: lint(e)),
            "diff": best(args.repeat, lambda a=engine, b=other: diff(a, b)),
        }
        branches = explain_flow(engine, *FLOW).whatif.branches
        runs = f"{sum(not b.twin for b in branches)} of {len(branches)}"
        shown = [f"{figures[k]:>{w}.2f}s" for k, w in columns]
        print(f"{path.name:34} {len(engine.filters()):>7} " + " ".join(shown) + f"  {runs:>10}")
    print("# targets: " + ", ".join(f"{k} < {v:g} s" for k, v in TARGETS.items()))


if __name__ == "__main__":
    main()
