"""Scenario files and `wfpsim run`: names, values, JSON shape, and clear errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wfpsim.cli import main
from wfpsim.runner import builtin_scenarios, run
from wfpsim.scenario import ScenarioError, load

CONFORMANCE = Path(__file__).parent / "conformance"


def write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_prefixed_names_guids_and_hex_work(tmp_path: Path) -> None:
    """Full names, GUIDs, hex integers and a big weight as a hex string are accepted."""
    path = write(
        tmp_path,
        """
[[sublayer]]
name = "S"
key = "{11111111-2222-3333-4444-555555555555}"
weight = 0x10

[[filter]]
name = "big"
layer = "c38d57d1-05a7-4c33-904f-7fbceee60e82"
sublayer = "{11111111-2222-3333-4444-555555555555}"
action = "FWP_ACTION_BLOCK"
weight = "0xF000000000000000"
flags = ["FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT"]
conditions = [{ field = "FWPM_CONDITION_IP_REMOTE_ADDRESS", match = "FWP_MATCH_EQUAL", value = "10.0.0.0/8" },
              { field = "IP_REMOTE_PORT", match = "RANGE", value = [0x400, 0xFFFF] }]

[[classify]]
layer = "FWPM_LAYER_ALE_AUTH_CONNECT_V4"
values = { IP_REMOTE_ADDRESS = "10.9.8.7", IP_REMOTE_PORT = 50000 }
expect = { action = "BLOCK", filter = "big" }
""",
    )
    result = run(path)
    assert result.ok
    flt = result.engine.filter("big")
    assert flt.effective_weight == 0xF000000000000000
    assert str(flt.sublayer) == "11111111-2222-3333-4444-555555555555"


def test_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim run FILE --json` prints the documented keys."""
    assert main(["run", str(CONFORMANCE / "case21.toml"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (item,) = doc["classifications"]
    assert set(item) == {
        "index",
        "layer",
        "action",
        "filter",
        "veto",
        "absorbed",
        "callouts_invoked",
        "sublayers",
        "explanation",
    }
    assert item["index"] == 0 and item["layer"] == "ALE_AUTH_CONNECT_V4"
    assert item["callouts_invoked"] == ["soft"]
    assert item["sublayers"] == [
        {"sublayer": "A", "action": "BLOCK", "filter": "FilterA"},
        {"sublayer": "B", "action": "PERMIT", "filter": "FilterC"},
    ]


def test_text_report_is_followable(capsys: pytest.CaptureFixture[str]) -> None:
    """The readable report shows each sublayer, each filter's effect and the explanation."""
    assert main(["run", "arbitration-example"]) == 0
    out = capsys.readouterr().out
    assert "sublayer FW2 (weight 512) -> BLOCK" in out
    assert "callout 'log_callout' called without the write right" in out
    assert "RESULT: BLOCK by 'port80'" in out


def test_failed_expectation_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scenario whose expectation fails is reported and exits 1."""
    path = write(
        tmp_path,
        '[[classify]]\nlayer = "ALE_AUTH_CONNECT_V4"\nexpect = { action = "BLOCK" }\n',
    )
    assert main(["run", str(path)]) == 1
    assert (
        "EXPECTATION FAILED: expected action = 'BLOCK', got 'NONE_NO_MATCH'"
        in capsys.readouterr().out
    )


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (
            '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\ncolour = "red"\n',
            ["'colour'", "line 1", "valid keys"],
        ),
        ('[[filter]]\nlayer = "ALE_AUTH_CONNECT_V4"\n', ["missing required key 'name'"]),
        (
            '\n\n[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONECT_V4"\n',
            ["FWP_E_LAYER_NOT_FOUND", "line 3", "'f'"],
        ),
        (
            '[[filter]]\nname = "f"\nlayer = "OUTBOUND_IPPACKET_V4"\nconditions = [{ field = "IP_REMOTE_PORT", value = 80 }]\n',
            ["FWP_E_CONDITION_NOT_FOUND"],
        ),
        (
            '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\nconditions = [{ field = "IP_REMOTE_PORT", value = { type = "FWP_UINT32", value = 80 } }]\n',
            ["FWP_E_TYPE_MISMATCH"],
        ),
        (
            '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\nweight = { range = 16 }\n',
            ["FWP_E_INVALID_WEIGHT"],
        ),
        (
            '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\naction = "CALLOUT_TERMINATING"\n',
            ["needs callout"],
        ),
        (
            '[[callout]]\nname = "c"\nlayer = "ALE_AUTH_CONNECT_V4"\n[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\naction = "BLOCK"\ncallout = "c"\n',
            ["cannot name a callout"],
        ),
        (
            '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\naction = "CALLOUT_INSPECTION"\ncallout = "nope"\n',
            ["FWP_E_CALLOUT_NOT_FOUND", "'f'"],
        ),
        (
            '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\naction = "DENY"\n',
            ["FWP_E_INVALID_ACTION_TYPE", "DENY"],
        ),
        (
            '[[callout]]\nname = "c"\nlayer = "ALE_AUTH_CONNECT_V4"\nreturns = "MAYBE"\n',
            ["MAYBE", "PERMIT"],
        ),
        (
            '[[callout]]\nname = "c"\nlayer = "ALE_AUTH_CONNECT_V4"\nclassify = "no.such.module:fn"\n',
            ["no.such"],
        ),
        (
            '[[classify]]\nlayer = "ALE_AUTH_CONNECT_V4"\nvalues = { IP_REMOTE_PORT = "http" }\n',
            ["FWP_E_TYPE_MISMATCH", "line 1"],
        ),
        ("[[filter]\nname = 'x'\n", ["invalid TOML", "line 1"]),
        ('colour = "red"\n', ["unknown top-level key", "'colour'"]),
    ],
)
def test_invalid_files_get_one_clear_message(tmp_path: Path, text: str, needles: list[str]) -> None:
    """Each bad file raises one ScenarioError naming the file and what is wrong."""
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        run(path)
    message = str(info.value)
    assert message.startswith(str(path))
    for needle in needles:
        assert needle in message


def test_cli_error_exit_2_without_traceback(tmp_path: Path) -> None:
    """`wfpsim run` on a bad file: exit status 2, one line on stderr, no traceback."""
    path = write(tmp_path, '[[filter]]\nname = "f"\nlayer = "NOPE"\n')
    out = subprocess.run(
        [sys.executable, "-m", "wfpsim", "run", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert "FWP_E_LAYER_NOT_FOUND" in out.stderr and "Traceback" not in out.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "wfpsim", "run", "no-such-scenario"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 2 and "arbitration-example" in missing.stderr


def test_python_callout_from_a_module(tmp_path: Path) -> None:
    """classify = "module:function" imports a Python callout (the file's folder is searched)."""
    (tmp_path / "mycallouts.py").write_text((CONFORMANCE / "callouts.py").read_text())
    path = write(
        tmp_path,
        """
[[callout]]
name = "telnet guard"
layer = "ALE_AUTH_CONNECT_V4"
classify = "mycallouts:block_port_23"
[[filter]]
name = "guard"
layer = "ALE_AUTH_CONNECT_V4"
action = "CALLOUT_TERMINATING"
callout = "telnet guard"
[[classify]]
layer = "ALE_AUTH_CONNECT_V4"
values = { IP_REMOTE_PORT = 23 }
expect = { action = "BLOCK", filter = "guard", callouts_invoked = ["telnet guard"] }
""",
    )
    assert run(path).ok


def test_crashing_python_callout_in_a_scenario(tmp_path: Path) -> None:
    """A raising callout from a scenario blocks and the report names it."""
    (tmp_path / "mycallouts.py").write_text((CONFORMANCE / "callouts.py").read_text())
    path = write(
        tmp_path,
        '[[callout]]\nname = "crasher"\nlayer = "ALE_AUTH_CONNECT_V4"\nclassify = "mycallouts:crash"\n'
        '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\naction = "CALLOUT_INSPECTION"\ncallout = "crasher"\n'
        '[[classify]]\nlayer = "ALE_AUTH_CONNECT_V4"\nexpect = { action = "BLOCK", explains = "ZeroDivisionError" }\n',
    )
    assert run(path).ok


def test_builtin_examples_run_and_hold(capsys: pytest.CaptureFixture[str]) -> None:
    """Every built-in scenario runs and its expectations hold; `wfpsim examples` lists them."""
    for name in builtin_scenarios():
        assert run(name).ok, name
    assert main(["examples"]) == 0
    assert "arbitration-example" in capsys.readouterr().out


def test_path_wins_over_builtin_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that exists is used even if a built-in has the same name."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path, 'title = "mine"\n', "arbitration-example")
    assert load(Path("arbitration-example")).title == "mine"
    assert run("arbitration-example").scenario.title == "mine"


def test_layer_by_run_time_id_in_a_scenario(tmp_path: Path) -> None:
    """`layer = 48` and `layer = "48"` both name ALE_AUTH_CONNECT_V4; `true` is no layer."""
    path = tmp_path / "ids.toml"
    path.write_text(
        'title = "ids"\n[[filter]]\nname = "b"\nlayer = 48\naction = "BLOCK"\n'
        '[[classify]]\nlayer = "48"\nexpect = { action = "BLOCK", filter = "b" }\n'
    )
    result = run(path)
    (only,) = result.classifications
    assert only.classification.layer == "ALE_AUTH_CONNECT_V4" and only.failures == ()
    path.write_text('title = "bad"\n[[classify]]\nlayer = true\n')
    with pytest.raises(ScenarioError, match="layer = True: give"):
        run(path)


def test_unregister_before_a_classification(tmp_path: Path) -> None:
    """`unregister` takes callout names; an unknown one is an error naming it and the entry."""
    path = tmp_path / "gone.toml"
    path.write_text(
        'title = "gone"\n[[classify]]\nlayer = "ALE_AUTH_CONNECT_V4"\nunregister = ["nobody"]\n'
    )
    with pytest.raises(ScenarioError, match=r"\[\[classify\]\] #1: unregister 'nobody'"):
        run(path)
    path.write_text(
        'title = "bad"\n[[classify]]\nlayer = "ALE_AUTH_CONNECT_V4"\nunregister = "x"\n'
    )
    with pytest.raises(
        ScenarioError, match=r"unregister = .x.: give a list of items, each a string"
    ):
        run(path)


@pytest.fixture(autouse=True)
def _forget_scenario_modules() -> None:
    """Each test's modules (written to its own folder) are imported afresh."""
    for name in ("mydrivers", "mycallouts"):
        sys.modules.pop(name, None)


DRIVERS = """
import pathlib
MARK = pathlib.Path(__file__).with_name("imported.mark")
MARK.write_text("imported")

class Raising:
    def __init__(self, engine):
        self.engine = engine
    def driver_entry(self):
        raise SystemExit("a driver calling exit()")
    def unload(self):
        pass

class FailsUnload:
    def __init__(self, engine):
        pass
    def driver_entry(self):
        return 0
    def unload(self):
        raise KeyError("gone")

def two_arguments(engine, extra):
    pass

def classify(a, b, c, d, e, f, g):
    pass
"""


@pytest.mark.parametrize(
    ("driver", "needle"), [("Raising", "SystemExit"), ("FailsUnload", "KeyError")]
)
def test_a_raising_driver_is_a_fault_and_never_exit_0(
    tmp_path: Path, driver: str, needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A [[driver]] that raises (SystemExit included) is contained, reported as a FAULT, and
    the run exits 1 — its entries were not all checked."""
    (tmp_path / "mydrivers.py").write_text(DRIVERS)
    path = write(
        tmp_path,
        f'[[driver]]\nload = "mydrivers:{driver}"\n'
        '[[classify]]\nlayer = "ALE_AUTH_CONNECT_V4"\nexpect = { action = "PERMIT" }\n',
    )
    result = run(path)
    assert not result.ok and needle in " ".join(result.faults)
    assert main(["run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAULT:" in out and needle in out
    assert main(["run", str(path), "--json"]) == 1
    assert needle in " ".join(json.loads(capsys.readouterr().out)["faults"])


def test_functions_of_the_wrong_signature_are_refused_before_running(tmp_path: Path) -> None:
    """A driver or callout function that cannot be called as the engine calls it: exit 2."""
    (tmp_path / "mydrivers.py").write_text(DRIVERS)
    path = write(tmp_path, '\n[[driver]]\nload = "mydrivers:two_arguments"\n')
    with pytest.raises(ScenarioError, match=r"\[\[driver\]\] #1 .*line 2.*Driver\(engine\)"):
        run(path)
    path = write(
        tmp_path,
        '[[callout]]\nname = "c"\nlayer = "ALE_AUTH_CONNECT_V4"\nnotify = "mydrivers:classify"\n',
    )
    with pytest.raises(ScenarioError, match=r"notify\(notify_type, filter_key, filter\)"):
        run(path)


def test_reading_a_policy_runs_none_of_its_code(tmp_path: Path) -> None:
    """Loading or drawing a scenario imports none of the modules it names; running does."""
    (tmp_path / "mydrivers.py").write_text(DRIVERS)
    path = write(
        tmp_path,
        '[[callout]]\nname = "c"\nlayer = "ALE_AUTH_CONNECT_V4"\nclassify = "mydrivers:classify"\n'
        '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\naction = "CALLOUT_INSPECTION"\n'
        'callout = "c"\n[[driver]]\nload = "mydrivers:FailsUnload"\n',
    )
    mark = tmp_path / "imported.mark"
    load(path)
    assert main(["draw", str(path), "--out", str(tmp_path / "w.dot")]) == 0
    assert not mark.exists() and "mydrivers" not in sys.modules
    run(path)
    assert mark.exists()
