"""WFPStarterKit reproduced: registration order, classify logic, the C sample's debug strings."""

import json
from pathlib import Path

import pytest

from wfpsim import Engine
from wfpsim.cli import main
from wfpsim.errors import InvalidParameterError
from wfpsim.examples.starter_kit import (
    EXAMPLE_CALLOUT_GUID,
    EXAMPLE_SUBLAYER_GUID,
    StarterKitDriver,
)
from wfpsim.runner import run
from wfpsim.scenario import ScenarioError
from wfpsim.stack import Stack

C_SAMPLE_LOAD = [
    "Example Callout Registered",
    "Example sublayer registered",
    "A new filter has registered Example Callout as its action",
    "Example filter registered",
    "--- WFPDriver example driver loaded successfully ---",
]
C_SAMPLE_UNLOAD = [
    "A filter that uses Example Callout has just been deleted",
    "--- WFPDriver example driver unloaded ---",
]


def test_registration_matches_the_c_sample() -> None:
    """Dynamic session, one transaction: callout, sublayer 0x0f, filter range 0xf, no conditions."""
    engine = Engine()
    driver = StarterKitDriver(engine)
    assert driver.driver_entry() == 0
    assert engine.debug_log == C_SAMPLE_LOAD
    (flt,) = engine.filters("OUTBOUND_TRANSPORT_V4")
    assert (flt.name, flt.action.name, flt.conditions) == (
        "ExampleFilter",
        "CALLOUT_TERMINATING",
        (),
    )
    assert flt.effective_weight >> 60 == 0xF and flt.callout == EXAMPLE_CALLOUT_GUID
    assert engine.sublayer(EXAMPLE_SUBLAYER_GUID).weight == 0x0F
    assert engine.is_registered(EXAMPLE_CALLOUT_GUID)
    driver.unload()
    assert engine.debug_log[-2:] == C_SAMPLE_UNLOAD
    assert engine.filters() == [] and engine.callouts() == []  # the dynamic session took them


def test_blocks_1234_and_passes_80() -> None:
    """The SYN to 1234 dies at OUTBOUND_TRANSPORT_V4 (after AUTH_CONNECT permitted it); 80 works."""
    engine = Engine()
    driver = StarterKitDriver(engine)
    driver.driver_entry()
    stack = Stack(engine)
    blocked = stack.run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:1234")
    passed = stack.run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=["GET /"])
    driver.unload()
    assert (blocked.verdict, blocked.decided_at, blocked.decided_by) == (
        "BLOCK",
        "OUTBOUND_TRANSPORT_V4",
        "ExampleFilter",
    )
    assert "ALE_AUTH_CONNECT_V4" in blocked.layers and blocked.steps[3].action.name != "BLOCK"
    assert blocked.log == ["Blocking Packet to port 1234"]
    assert passed.verdict == "PERMIT"
    assert passed.log[0] == "Example Classify found a packet: 10.0.0.5:49153 --> 93.184.216.34:80"
    assert len(passed.log) == passed.layers.count("OUTBOUND_TRANSPORT_V4")  # every packet logged


def test_block_is_soft_as_in_the_c_code() -> None:
    """The sample never clears the write right: its block is soft."""
    engine = Engine()
    StarterKitDriver(engine).driver_entry()
    values = {
        "IP_LOCAL_ADDRESS": "10.0.0.5",
        "IP_REMOTE_ADDRESS": "10.0.0.9",
        "IP_LOCAL_PORT": 50000,
        "IP_REMOTE_PORT": 1234,
        "IP_PROTOCOL": 6,
    }
    c = engine.classify("OUTBOUND_TRANSPORT_V4", values)
    assert c.action.name == "BLOCK" and not c.decision.hard


def test_builtin_scenario_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim run starter-kit --json`: traffic verdicts and the whole lifecycle log in order."""
    assert main(["run", "starter-kit", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    t0, t1 = doc["traffic"]
    assert set(t0) == {
        "index",
        "kind",
        "direction",
        "local",
        "remote",
        "verdict",
        "decided_at",
        "decided_by",
        "layers",
        "log",
        "injections",
        "faults",
        "redirects",
        "pends",
        "duration",
        "streams",
        "delivered",
        "held",
    }
    assert (t0["verdict"], t0["decided_at"], t0["decided_by"]) == (
        "BLOCK",
        "OUTBOUND_TRANSPORT_V4",
        "ExampleFilter",
    )
    assert t1["verdict"] == "PERMIT" and t1["decided_at"] is None
    assert doc["log"][:5] == C_SAMPLE_LOAD and doc["log"][-2:] == C_SAMPLE_UNLOAD
    assert doc["log"][5] == "Blocking Packet to port 1234"


def test_traffic_entries_are_checked(tmp_path: Path) -> None:
    """Bad traffic entries name the entry, the line and what is valid."""
    path = tmp_path / "t.toml"
    path.write_text(
        '[[traffic]]\nkind = "sctp"\ndirection = "outbound"\nlocal = "10.0.0.5:0"\nremote = "8.8.8.8:53"\n'
    )
    with pytest.raises(ScenarioError, match=r"\[\[traffic\]\] #1 \(line 1\).*sctp.*tcp, udp, icmp"):
        run(path)
    path.write_text(
        '[[traffic]]\nkind = "udp"\ndirection = "outbound"\nlocal = "10.0.0.5:0"\nremote = "8.8.8.8:53"\nport = 5\n'
    )
    with pytest.raises(ScenarioError, match="'port'"):
        run(path)


def test_path_and_traffic_expectations(tmp_path: Path) -> None:
    """A scenario file with traffic and expectations; `layers` compares the exact sequence."""
    path = tmp_path / "closed.toml"
    path.write_text(
        '[[traffic]]\nkind = "tcp"\ndirection = "inbound"\nlocal = "10.0.0.5:81"\nremote = "203.0.113.9:51000"\n'
        'listening = false\nexpect = { verdict = "DROP", decided_at = "INBOUND_TRANSPORT_V4_DISCARD", '
        'layers = ["INBOUND_IPPACKET_V4", "INBOUND_TRANSPORT_V4_DISCARD", "OUTBOUND_TRANSPORT_V4", "OUTBOUND_IPPACKET_V4"] }\n'
    )
    assert run(path).ok


def test_unload_without_a_loaded_driver_is_a_clear_error() -> None:
    """DriverUnload before DriverEntry, or a second time, names what to call first."""
    engine = Engine()
    driver = StarterKitDriver(engine)
    with pytest.raises(InvalidParameterError, match=r"driver_entry\(\)"):
        driver.unload()
    driver.driver_entry()
    driver.unload()
    with pytest.raises(InvalidParameterError, match="not loaded"):
        driver.unload()
