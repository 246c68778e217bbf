"""Benchmark the engine: classification, adds, the netsh importer and CLI start-up, in one run.

Prints, from one run:

* microseconds per classification at ``ALE_AUTH_CONNECT_V4`` with 10 / 100 / 1,000 / 10,000
  filters in the engine, for a value that matches no filter, one that matches one filter, and a
  classification at a layer that holds no filter (``ALE_AUTH_LISTEN_V4``), with the ratios to
  the 10-filter figures (issue 11's target: 1,000-vs-10 at most 3x);
* the cost of one ``add_filter`` with 1,000 and with 100,000 filters already in the engine
  (target: the same);
* ``load_netsh`` time against the bare parse of the same bytes (read, wrap the two roots,
  ``ElementTree.fromstring``) for every dump in ``../shared/data/wfp-dumps`` (target: at
  most 2x);
* ``wfpsim layers`` start-up time (a fresh interpreter each run), beside a bare interpreter's.

Only public tools measure: ``time.perf_counter`` and ``statistics``. Classification figures are
the best of interleaved batches (the median beside them), the others medians of repetitions;
nothing is a pass/fail test (the targets are printed beside the figures).

Run: ``.venv/bin/python benchmarks/bench_engine.py`` (``--dumps DIR`` for other dumps,
``--add-sizes 1000,20000`` to keep a slow engine's run short, ``--quick`` for fewer repeats).
"""

from __future__ import annotations

import argparse
import copy
import gc
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path

from wfpsim import Condition, Engine, Filter, Sublayer
from wfpsim.netsh import load_netsh

LAYER = "ALE_AUTH_CONNECT_V4"
EMPTY_LAYER = "ALE_AUTH_LISTEN_V4"
SIZES = (10, 100, 1_000, 10_000)
SUBLAYERS = ("corp", "av", "vpn", "app")
#: remote ports 10,000..59,999: the policy repeats its ports every ROUND filters
ROUND = 50_000
CHECKOUT = Path(__file__).resolve().parent.parent
DUMPS = CHECKOUT.parent / "shared" / "data" / "wfp-dumps"


def progress(text: str) -> None:
    """Long work shows progress (on stderr, so the table stays clean)."""
    print(f"  … {text}", file=sys.stderr, flush=True)


def machine() -> str:
    """One line naming the machine the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = os.cpu_count() or 0
    py = platform.python_implementation() + " " + platform.python_version()
    return f"{cpu}, {cores} cores, {platform.system()} {platform.release()}, {py}, {load()}"


def load() -> str:
    """The machine's load average (the figures are only as quiet as the machine)."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return "load average {:.1f} / {:.1f} / {:.1f} (1/5/15 min)".format(*os.getloadavg())


def address(i: int) -> str:
    """The remote address filter ``i`` tests (when it tests one)."""
    return f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"


def rule(i: int) -> Filter:
    """Filter ``i`` of the classification policy: a port rule, every third with an address too.

    Real policies look like this: most filters test a remote or local port, an address, an
    application or a protocol for equality; a few use ranges or masks. Remote ports repeat
    every 50,000 filters (a port is 16 bits); from filter 50,000 on, each filter also tests a
    local address that differs from one round of 50,000 to the next, so every filter of a
    100,000-filter engine is different. The first 50,000 filters (every classification
    engine) are the same as ever.
    """
    conditions = [Condition("IP_REMOTE_PORT", "EQUAL", 10_000 + i % ROUND)]
    if i % 3 == 0:
        conditions.append(Condition("IP_REMOTE_ADDRESS", "EQUAL", address(i)))
    if i % 5 == 0:
        conditions.append(Condition("IP_PROTOCOL", "EQUAL", 6))
    if i % 7 == 0:
        conditions.append(Condition("IP_LOCAL_PORT", "RANGE", (1024, 65535)))
    if i >= ROUND:
        local = f"172.{16 + (i // ROUND) % 16}.{i >> 8 & 255}.{i & 255}"
        conditions.append(Condition("IP_LOCAL_ADDRESS", "EQUAL", local))
    action = "BLOCK" if i % 2 else "PERMIT"
    return Filter(f"rule {i}", LAYER, action, conditions, sublayer=SUBLAYERS[i % len(SUBLAYERS)])


def engine_with(count: int, bulk: bool = True) -> Engine:
    """An engine holding ``count`` filters at :data:`LAYER`, in four sublayers.

    ``bulk``: added with :meth:`Engine.add_filters` (one transaction, the garbage collector
    waiting); otherwise with ``add_filter`` calls inside one transaction.
    """
    engine = Engine()
    for i, name in enumerate(SUBLAYERS):
        engine.add_sublayer(Sublayer(name, weight=0x1000 * (i + 1)))
    if bulk:
        engine.add_filters(rule(i) for i in range(count))
        return engine
    with engine.session.transaction():
        for i in range(count):
            engine.add_filter(rule(i))
    return engine


def batch_us(call: Callable[[], object], batch: int) -> float:
    """Microseconds per call of one batch of ``batch`` calls."""
    start = time.perf_counter()
    for _ in range(batch):
        call()
    return (time.perf_counter() - start) / batch * 1e6


def classification(quick: bool) -> None:
    """The classification table and its ratios.

    Every engine is built first; then rounds of batches go over all sizes and cases in turn,
    so a burst of load on a shared machine hits every size alike. Each figure is the best
    batch (the least disturbed), as ``timeit`` recommends; the median is printed beside it.
    """
    print("\nClassification at ALE_AUTH_CONNECT_V4 (µs per call: best batch, median in brackets)")
    rounds, batch = (5, 100) if quick else (15, 200)
    cases: dict[tuple[int, int], Callable[[], object]] = {}
    for count in SIZES:
        progress(f"building an engine with {count:,} filters")
        engine = engine_with(count)
        hit = count // 2
        one = {
            "IP_REMOTE_PORT": 10_000 + hit,
            "IP_REMOTE_ADDRESS": address(hit),
            "IP_PROTOCOL": 6,
            "IP_LOCAL_PORT": 50_000,
        }
        none = {**one, "IP_REMOTE_PORT": 80}
        check = engine.classify(LAYER, one)
        assert check.filter_name == f"rule {hit}", check.filter_name
        assert engine.classify(LAYER, none).filter_name is None
        for case, (layer, values) in enumerate(((LAYER, none), (LAYER, one), (EMPTY_LAYER, {}))):
            cases[(count, case)] = partial(engine.classify, layer, values)
    samples: dict[tuple[int, int], list[float]] = {key: [] for key in cases}
    for r in range(rounds):
        progress(f"classification round {r + 1} of {rounds}")
        for key, call in cases.items():
            samples[key].append(batch_us(call, batch))
    best = {key: min(v) for key, v in samples.items()}
    print(f"{'filters':>8} {'no match':>18} {'one match':>18} {'empty layer':>18}")
    for count in SIZES:
        cells = " ".join(
            f"{best[(count, c)]:>8.1f} [{statistics.median(samples[(count, c)]):>7.1f}]"
            for c in range(3)
        )
        print(f"{count:>8,} {cells}")
    print(f"ratios to {SIZES[0]} filters, best batches (target at 1,000: ≤ 3)")
    for count in SIZES[1:]:
        cells = " ".join(f"{best[(count, c)] / best[(SIZES[0], c)]:>18.2f}" for c in range(3))
        print(f"{count:>8,} {cells}")


def adds(sizes: list[int], quick: bool) -> None:
    """Per-add cost with ``sizes`` filters already in the engine, and the time to get there.

    Each fill adds ``N`` filters with :meth:`Engine.add_filters` (one transaction, building
    each :class:`Filter` included), as a script loading a large policy would; the largest is
    filled again by ``add_filter`` calls in one transaction, for comparison. Then rounds of
    batches of 100 adds (each add its own implicit transaction) go over the engines in turn, so
    a burst of load on a shared machine hits every size alike; the figure is the median batch
    (the best in brackets).
    """
    print("\nadd_filter with N filters in the engine (µs per add: median batch, best in brackets)")
    engines: dict[int, Engine] = {}
    fills: dict[int, float] = {}
    for count in sizes:
        progress(f"filling an engine with {count:,} filters")
        start = time.perf_counter()
        engines[count] = engine_with(count)
        fills[count] = time.perf_counter() - start
    samples: dict[int, list[float]] = {count: [] for count in sizes}
    serial = {count: iter(range(count, count + 10_000)) for count in sizes}
    rounds = 5 if quick else 15
    for r in range(rounds):
        progress(f"add round {r + 1} of {rounds}")
        for count, engine in engines.items():
            batch = [rule(next(serial[count])) for _ in range(100)]
            start = time.perf_counter()
            for flt in batch:
                engine.add_filter(flt)
            samples[count].append((time.perf_counter() - start) / len(batch) * 1e6)
    per_add = {count: statistics.median(v) for count, v in samples.items()}
    del engine
    engines.clear()
    gc.collect()
    largest = max(sizes)
    progress(f"filling an engine with {largest:,} filters by add_filter calls")
    start = time.perf_counter()
    engine_with(largest, bulk=False)
    loop = time.perf_counter() - start
    for count in sizes:
        print(
            f"{count:>8,} filters: {per_add[count]:7.1f} [{min(samples[count]):6.1f}] µs per add"
            f"   (filling with add_filters took {fills[count]:.2f} s,"
            f" {fills[count] / max(count, 1) * 1e6:.1f} µs per filter; target for 100,000: < 10 s)"
        )
    print(f"{largest:,} add_filter calls in one transaction (the collector running): {loop:.2f} s")
    if len(per_add) > 1:
        low, high = min(per_add), max(per_add)
        print(
            f"per-add cost at {high:,} / at {low:,} filters: {per_add[high] / per_add[low]:.2f}"
            " (target: about 1)"
        )
    gc.collect()  # an engine is a web of cycles: free them before the next measurement


def bare_parse(path: Path) -> ET.Element:
    """The floor an importer is measured against: read, wrap the two roots, parse."""
    text = path.read_bytes().decode("utf-8-sig")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    return ET.fromstring(f"<netsh>{text}</netsh>")


def best_of(call: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``repeats`` calls."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def imports(folder: Path, quick: bool) -> None:
    """``load_netsh`` against the bare parse for every dump in ``folder``."""
    print(f"\nImport of netsh dumps in {folder} (median seconds; target ≤ 2x bare parse)")
    dumps = sorted(folder.glob("*.xml"))
    if not dumps:
        print("  no *.xml dumps found (give --dumps DIR)")
        return
    repeats = 3 if quick else 5
    gc.collect()  # nothing left over from the other parts for the bare parse's collector to walk
    for path in dumps:
        progress(f"importing {path.name}")
        parse = best_of(partial(bare_parse, path), repeats)
        load = best_of(partial(load_netsh, path), repeats)
        report = load_netsh(path)[1]
        size = path.stat().st_size / 1e6
        print(
            f"  {path.name:34} {size:5.1f} MB {report.filters:5} filters: import {load:6.3f} s, "
            f"bare parse {parse:6.3f} s, ratio {load / parse:5.2f}"
        )


def big_dump(source: Path, target: Path, megabytes: float) -> int:
    """Write a dump of about ``megabytes`` MB: ``source`` with its filters repeated.

    Each copy of a filter gets a fresh ``filterKey`` (a uuid5 of the original and the round)
    and ``filterId`` (the original plus a million per round), so every copy is imported.
    Returns the number of filters written.
    """
    root = bare_parse(source)
    lists = [el for el in root.iter("filters") if len(el)]
    originals = [(lst, list(lst)) for lst in lists]
    per_round = sum(len(ET.tostring(item)) for _, items in originals for item in items)
    extra = megabytes * 1e6 - source.stat().st_size
    for n in range(1, 1 + max(0, round(extra / max(per_round, 1)))):
        for lst, items in originals:
            for item in items:
                twin = copy.deepcopy(item)
                key, fid = twin.find("filterKey"), twin.find("filterId")
                if key is not None and key.text:
                    key.text = f"{{{uuid.uuid5(uuid.NAMESPACE_OID, f'{n}:{key.text}')}}}"
                if fid is not None and fid.text and fid.text.isdigit():
                    fid.text = str(int(fid.text) + n * 1_000_000)
                lst.append(twin)
    with target.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
        for top in root:
            out.write(ET.tostring(top, encoding="utf-8"))
    return sum(len(lst) for lst in lists)


#: Run in a fresh interpreter: parse or import one dump; print seconds, peak memory growth
#: (bytes) and the filters imported.
_BIG = """
import resource, sys, time
sys.path.insert(0, sys.argv[3])
from bench_engine import bare_parse
from wfpsim.netsh import load_netsh
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
if sys.argv[2] == "parse":
    bare_parse(__import__("pathlib").Path(sys.argv[1]))
    filters = 0
else:
    filters = load_netsh(sys.argv[1])[1].filters
took = time.perf_counter() - start
grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(took, grew * 1024, filters)
"""


def big_import(folder: Path, megabytes: float) -> None:
    """A synthetic dump of ``megabytes`` MB: import time against a bare parse, peak memory.

    Both run in fresh interpreters (a parse beside the writer's own tree would measure the
    garbage collector walking that tree).
    """
    dumps = sorted(folder.glob("*.xml"))
    if not dumps:
        return
    source = max(dumps, key=lambda p: p.stat().st_size)
    print(f"\nA {megabytes:.0f} MB dump ({source.name}'s filters repeated with fresh keys and ids)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big_wfpstate.xml"
        progress(f"writing a {megabytes:.0f} MB dump")
        written = big_dump(source, path, megabytes)
        size = path.stat().st_size

        def child(what: str) -> tuple[float, float, float]:
            progress(f"{what} in a fresh interpreter")
            here = str(Path(__file__).resolve().parent)
            argv = [sys.executable, "-c", _BIG, str(path), what, here]
            out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
            took, grew, filters = (float(x) for x in out.split())
            return took, grew, filters

        parse, parse_grew, _ = child("parse")
        took, grew, imported = child("import")
        print(
            f"  {size / 1e6:5.1f} MB, {written:,} filters ({imported:,.0f} imported): "
            f"import {took:.2f} s, bare parse {parse:.2f} s, ratio {took / parse:.2f}\n"
            f"  peak memory: import +{grew / 1e6:.0f} MB ({grew / size:.1f}x the file), "
            f"bare parse +{parse_grew / 1e6:.0f} MB ({parse_grew / size:.1f}x)"
        )


def startup(quick: bool) -> None:
    """``wfpsim layers`` in a fresh interpreter, beside the interpreter alone."""
    print("\nStart-up (median seconds of fresh processes)")
    repeats = 5 if quick else 11

    def run(*args: str) -> float:
        samples = []
        for _ in range(repeats):
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    progress("starting wfpsim layers")
    bare = run("-c", "pass")
    layers = run("-m", "wfpsim", "layers")
    print(f"  python -c pass        {bare:6.3f} s")
    above = layers - bare
    print(f"  wfpsim layers         {layers:6.3f} s   ({above:.3f} s above the interpreter)")


def main(argv: list[str] | None = None) -> int:
    """Run every part and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=Path, default=DUMPS, help="folder of netsh XML dumps")
    parser.add_argument(
        "--add-sizes",
        default="1000,100000",
        help="engine sizes for the per-add figure (comma-separated; default 1000,100000)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--big-mb", type=float, default=50, help="size of the synthetic dump (default 50 MB)"
    )
    parser.add_argument(
        "--only",
        choices=("classify", "add", "import", "big", "startup"),
        action="append",
        help="run only these parts (repeatable)",
    )
    args = parser.parse_args(argv)
    parts = set(args.only or ("classify", "add", "import", "big", "startup"))
    print(f"wfpsim engine benchmark — {machine()}")
    # the imports first, while this process holds little (a bare parse's garbage collector
    # walks whatever the process holds; the import pauses it)
    if "import" in parts:
        imports(args.dumps, args.quick)
    if "big" in parts:
        big_import(args.dumps, args.big_mb)
    if "classify" in parts:
        classification(args.quick)
        gc.collect()
    if "add" in parts:
        adds([int(s) for s in args.add_sizes.split(",") if s], args.quick)
    if "startup" in parts:
        startup(args.quick)
    print(f"\nat the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
