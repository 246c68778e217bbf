"""Fuzzing the front doors: mutated scenario files and dumps never break the exit-status contract.

Hypothesis mutates the built-in scenarios, the conformance files and dumps (a small one and a
slice of a shared real dump) — cutting, repeating, inserting tokens, swapping value types,
re-encoding bytes — and runs ``wfpsim run`` / ``wfpsim draw`` on each. The contract: exit
status 0, 1 or 2 (never 3, the status of a bug), no traceback, no hang, and exit 0 only when
every ``[[classify]]`` and ``[[traffic]]`` entry of the file was run and checked.

The suite runs a bounded number of examples; ``scripts/fuzz`` runs many more
(``WFPSIM_FUZZ_EXAMPLES``, default here 40 per target).
"""

import contextlib
import io
import json
import os
import signal
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfpsim.cli import main
from wfpsim.runner import builtin_scenarios

ROOT = Path(__file__).resolve().parent.parent
CONFORMANCE = ROOT / "tests" / "conformance"
DUMPS = ROOT.parent / "shared" / "data" / "wfp-dumps"
EXAMPLES = int(os.environ.get("WFPSIM_FUZZ_EXAMPLES", "40"))
SECONDS = 60  # one run longer than this is a hang

SEEDS = {p.name: p.read_text(encoding="utf-8") for p in builtin_scenarios().values()}
SEEDS |= {p.name: p.read_text(encoding="utf-8") for p in sorted(CONFORMANCE.glob("*.toml"))}
TOKENS = [
    "[[filter]]\n",
    "[[classify]]\n",
    "[[traffic]]\n",
    "[[callout]]\n",
    "[[driver]]\n",
    "[[sublayer]]\n",
    '"',
    "'",
    "=",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
    "#",
    "true",
    "false",
    "1.5",
    "-1",
    "0x",
    "99999999999999999999",
    '""',
    "{}",
    "[]",
    "[[1]]",
    "nan",
    "inf",
    '"FWP_V4_ADDR_MASK"',
    '"O:garbage"',
    '"mod:fn"',
    '"\\u0000"',
    "\ufeff",
    "\x00",
    "é",
    'name = "x"\n',
    'layer = "ALE_AUTH_CONNECT_V4"\n',
    'action = "BLOCK"\n',
    "weight = true\n",
    "flags = 0x80000\n",
    'remote = "1.2.3.4"\n',
    'load = "wfpsim:Engine"\n',
]
VALUES = ["{}", "[[1]]", "[1]", "1", "1.5", "true", '"x"', "-5", '{ type = "FWP_SID", value = 1 }']


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail (not hang) when the body runs longer than ``seconds``."""

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"no answer within {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def invoke(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with deadline(SECONDS), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(args)
        except SystemExit as exc:  # argparse
            status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


@st.composite
def mutated(draw: st.DrawFn, seeds: dict[str, str]) -> tuple[str, str]:
    """A seed file's text after a few random edits."""
    name = draw(st.sampled_from(sorted(seeds)))
    text = seeds[name]
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 200)))
        op = draw(st.sampled_from(["cut", "repeat", "insert", "value", "text"]))
        if op == "cut":
            text = text[:i] + text[j:]
        elif op == "repeat":
            text = text[:j] + text[i:j] + text[j:]
        elif op == "insert":
            text = text[:i] + draw(st.sampled_from(TOKENS)) + text[i:]
        elif op == "text":
            text = text[:i] + draw(st.text(max_size=12)) + text[i:]
        else:  # replace the value of the next `key = value` line by one of another type
            k = text.find(" = ", i)
            if k >= 0:
                end = text.find("\n", k)
                end = len(text) if end < 0 else end
                text = text[: k + 3] + draw(st.sampled_from(VALUES)) + text[end:]
    return name, text


def check_contract(status: int, out: str, err: str) -> None:
    assert status in (0, 1, 2), (status, err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out, err[-2000:]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated(SEEDS))
def test_mutated_scenarios_keep_the_exit_status_contract(
    case: tuple[str, str], tmp_path: Path
) -> None:
    """`wfpsim run` on a mutated scenario: 0/1/2, no traceback, no hang; 0 only when every
    classify and traffic entry of the file was run and checked."""
    name, text = case
    (tmp_path / "callouts.py").write_text((CONFORMANCE / "callouts.py").read_text())
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    status, out, err = invoke(["run", str(path), "--json"])
    check_contract(status, out, err)
    if status == 0:
        data = tomllib.loads(text)  # it loaded, so it parses
        doc = json.loads(out)
        assert len(doc["classifications"]) == len(data.get("classify", []))
        assert len(doc.get("traffic", [])) == len(data.get("traffic", []))
        assert not any("expectation_failures" in c for c in doc["classifications"])
        assert not doc.get("faults")


TINY_DUMP = (
    (ROOT / "tests" / "test_netsh.py").read_text().split('SMALL = """', 1)[1].split('"""')[0]
)


def _dump_seeds() -> dict[str, str]:
    seeds = {"tiny.xml": TINY_DUMP}
    real = DUMPS / "fanyi_wfpstate.xml"
    if real.exists():
        text = real.read_text(encoding="utf-8-sig")
        cut = text.find("</item>", 60_000)  # a slice of a real dump: its first items
        seeds["fanyi-slice.xml"] = text[: cut + len("</item>")] if cut > 0 else text[:60_000]
    return seeds


DUMP_SEEDS = _dump_seeds()
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "raw"]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=mutated(DUMP_SEEDS), encoding=st.sampled_from(ENCODINGS), junk=st.binary(max_size=8))
def test_mutated_dumps_keep_the_exit_status_contract(
    case: tuple[str, str], encoding: str, junk: bytes, tmp_path: Path
) -> None:
    """`wfpsim draw DUMP.xml` on a mutated, re-encoded dump: 0 or 2, no traceback, no hang."""
    name, text = case
    if encoding == "raw":
        data = text.encode("utf-8", "replace") + junk
    else:
        data = text.encode(encoding, "replace")
    path = tmp_path / name
    path.write_bytes(data)
    status, out, err = invoke(["draw", str(path), "--out", str(tmp_path / "out.dot")])
    check_contract(status, out, err)
    assert status in (0, 2)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_seed_runs_cleanly(name: str, tmp_path: Path) -> None:
    """The unmutated seeds hold (some conformance files are refused on purpose: status 2)."""
    (tmp_path / "callouts.py").write_text((CONFORMANCE / "callouts.py").read_text())
    path = tmp_path / name
    path.write_text(SEEDS[name], encoding="utf-8")
    status, out, err = invoke(["run", str(path)])
    check_contract(status, out, err)
    assert status != 1, out
