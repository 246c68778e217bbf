"""Conformance cases 1-29 of the reference (arbitration-and-objects.md §8)."""

from pathlib import Path

import pytest

from wfpsim import Callout, Engine, Filter, layer
from wfpsim.callouts import BuiltinCallout
from wfpsim.errors import DeviceBusyError
from wfpsim.kernel import FwpsFlowAssociateContext0, FwpsFlowRemoveContext0
from wfpsim.runner import run
from wfpsim.scenario import ScenarioError, load

CASES = Path(__file__).parent / "conformance"
RUNNABLE = sorted(p for p in CASES.glob("case*.toml") if p.stem != "case28")


def test_every_case_from_1_to_29_has_a_file() -> None:
    """Cases 1-29 are scenario files (29's flow-context half also needs the Python API, below)."""
    numbers = sorted(int(p.stem[4:]) for p in CASES.glob("case*.toml"))
    assert numbers == list(range(1, 30))


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    """Every classification in the case meets its expectations."""
    scenario = load(path)
    assert scenario.classifications and all(c.expect for c in scenario.classifications)
    result = run(path)
    failures = [f for r in result.classifications for f in r.failures]
    assert failures == []


def test_case28_flag_on_wrong_action_is_rejected() -> None:
    """Case 28: the file fails to load with FWP_E_INVALID_FLAGS naming the filter and line."""
    with pytest.raises(ScenarioError) as info:
        run(CASES / "case28.toml")
    assert info.value.code == "FWP_E_INVALID_FLAGS"
    assert "'wrong flag'" in str(info.value) and "line 3" in str(info.value)


def test_case29_unregister_while_filters_exist() -> None:
    """Case 29: unregistering succeeds with filters present; they then act as case 25."""
    engine = Engine()
    engine.add_callout(Callout("c", "ALE_AUTH_CONNECT_V4"))
    cid = engine.register_callout("c", BuiltinCallout("PERMIT"))
    engine.add_filter(Filter("f", "ALE_AUTH_CONNECT_V4", "CALLOUT_TERMINATING", callout="c"))
    assert engine.classify("ALE_AUTH_CONNECT_V4").action.name == "PERMIT"
    engine.unregister_callout(cid)
    after = engine.classify("ALE_AUTH_CONNECT_V4")
    assert after.action.name == "BLOCK" and after.callouts_invoked == ()


def test_case29_flow_context_keeps_callout_busy() -> None:
    """Case 29: with a flow context still associated, unregister is STATUS_DEVICE_BUSY."""
    engine = Engine()
    engine.add_callout(Callout("c", "ALE_FLOW_ESTABLISHED_V4"))
    cid = engine.register_callout("c", BuiltinCallout(), flow_delete=lambda *args: None)
    flow = engine.flow_table.create(6, ("10.0.0.5", 49152), ("10.0.0.9", 80), "outbound", "", 0)
    layer_id = layer("ALE_FLOW_ESTABLISHED_V4").id
    with engine.kernel_context():
        assert FwpsFlowAssociateContext0(flow.flow_id, layer_id, cid, 7) == 0
    with pytest.raises(DeviceBusyError):
        engine.unregister_callout(cid)
    with engine.kernel_context():
        assert FwpsFlowRemoveContext0(flow.flow_id, layer_id, cid) == 0
    engine.unregister_callout(cid)
