"""Pended classification: FwpsPendOperation0 / FwpsCompleteOperation0 and the simulated clock."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfpsim import Callout, Engine, Filter
from wfpsim.cli import main
from wfpsim.clock import Clock, clock_of, schedule_after
from wfpsim.errors import InvalidParameterError
from wfpsim.examples.prompt import (
    FlowEstablishedPromptDriver,
    ForgetfulPromptDriver,
    PromptFirewallDriver,
    SilentReauthPromptDriver,
)
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWP_CONDITION_FLAG_IS_REAUTHORIZE,
    FWP_CONDITION_REAUTHORIZE_REASON_CLASSIFY_COMPLETION,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_RIGHT_ACTION_WRITE,
    STATUS_FWP_CANNOT_PEND,
    STATUS_FWP_NULL_POINTER,
    STATUS_FWP_TCPIP_NOT_READY,
    STATUS_SUCCESS,
)
from wfpsim.netbuffers import Out
from wfpsim.pend import FwpsCompleteOperation0, FwpsPendOperation0
from wfpsim.runner import run
from wfpsim.stack import Stack
from wfpsim.stack.journey import Journey
from wfpsim.stack.pending import PEND_TIMEOUT

CURL = r"C:\Tools\curl.exe"
NC = r"C:\Tools\nc.exe"


def _prompt(cls: type[PromptFirewallDriver] = PromptFirewallDriver) -> tuple[Engine, Stack]:
    engine = Engine()
    assert cls(engine).driver_entry() == STATUS_SUCCESS
    return engine, Stack(engine)


def _connect(stack: Stack, app: str, remote: str = "93.184.216.34:443") -> Journey:
    return stack.run("tcp", "outbound", "10.0.0.5:0", remote, app=app)


def test_a_pended_connect_is_permitted_when_the_user_allows_it() -> None:
    """Pended at AUTH_CONNECT (BLOCK + ABSORB), reauthorized 5 s later, then the SYN leaves."""
    engine, stack = _prompt()
    journey = _connect(stack, CURL)
    assert journey.verdict == "PERMIT" and journey.faults == []
    first, again = [s for s in journey.steps if s.layer == "ALE_AUTH_CONNECT_V4"]
    assert first.blocked and first.classification.absorbed and "pended by" in first.note
    assert first.time == 0.0 and again.time == 5.0 and journey.duration == 5.0
    assert again.action.name == "PERMIT"
    assert again.in_fixed_values.get("FLAGS") & FWP_CONDITION_FLAG_IS_REAUTHORIZE
    reason = again.in_fixed_values.get("REAUTHORIZE_REASON")
    assert reason == FWP_CONDITION_REAUTHORIZE_REASON_CLASSIFY_COMPLETION
    # the SYN leaves only after the reauthorization
    syn = journey.layers.index("OUTBOUND_TRANSPORT_V4")
    assert syn == journey.steps.index(again) + 1 and journey.steps[syn].time == 5.0
    [pend] = journey.pends
    assert (pend.function, pend.pended_at, pend.completed_at) == ("FwpsPendOperation0", 0.0, 5.0)
    assert clock_of(engine.kernel).now == 5.0


def test_a_pended_connect_is_blocked_when_the_user_blocks_it() -> None:
    """The reauthorization's BLOCK fails connect(): no SYN, the discard layer shows it."""
    _, stack = _prompt()
    journey = _connect(stack, NC)
    assert journey.verdict == "BLOCK" and journey.decided_at == "ALE_AUTH_CONNECT_V4"
    assert "OUTBOUND_TRANSPORT_V4" not in journey.layers
    assert "ALE_AUTH_CONNECT_V4_DISCARD" in journey.layers
    assert journey.duration == 3.0 and journey.pends[0].completed_at == 3.0


def test_time_runs_on_across_journeys_and_answers_are_remembered() -> None:
    """The clock is the engine's; the second connect of curl.exe is decided at once."""
    _, stack = _prompt()
    _connect(stack, CURL)
    second = _connect(stack, CURL)
    assert second.pends == [] and second.steps[0].time == 5.0 and second.duration == 0.0
    third = _connect(stack, r"C:\Tools\unknown.exe")
    assert third.verdict == "BLOCK" and third.duration == PromptFirewallDriver.prompt_timeout


def test_completion_handle_is_metadata_at_the_ale_authorize_layers_only() -> None:
    """FWPS_METADATA_FIELD_COMPLETION_HANDLE: RESOURCE_ASSIGNMENT, LISTEN, RECV_ACCEPT, CONNECT."""
    journey = Stack(Engine()).run("tcp", "inbound", "10.0.0.5:80", "198.51.100.7:0")
    with_handle = {
        s.layer for s in journey.setup + journey.steps if s.in_meta_values.has("COMPLETION_HANDLE")
    }
    assert with_handle == {
        "ALE_RESOURCE_ASSIGNMENT_V4",
        "ALE_AUTH_LISTEN_V4",
        "ALE_AUTH_RECV_ACCEPT_V4",
    }
    assert journey.at("ALE_AUTH_RECV_ACCEPT_V4").in_meta_values.completion_handle
    assert journey.at("ALE_FLOW_ESTABLISHED_V4").in_meta_values.completion_handle is None


def test_a_forgotten_completion_times_out_as_the_callouts_fault() -> None:
    """No FwpsCompleteOperation0: connect() waits 21 s, fails, and the callout is named."""
    engine, stack = _prompt(ForgetfulPromptDriver)
    journey = _connect(stack, CURL)
    assert journey.verdict == "BLOCK" and journey.duration == PEND_TIMEOUT
    assert "OUTBOUND_TRANSPORT_V4" not in journey.layers
    [fault] = journey.faults
    assert "'forgetful-prompt'" in fault and "never completed" in fault
    assert journey.pends[0].completed_at is None
    with engine.kernel_context(), pytest.raises(InvalidParameterError, match="too late"):
        context = next(iter(_pended(engine)))
        FwpsCompleteOperation0(context, None)


def _pended(engine: Engine) -> list[int]:
    from wfpsim.pend import pend_state

    return [key for (_, key) in pend_state(engine.kernel).pended]


def test_completing_without_answering_the_reauthorization_blocks() -> None:
    """The user allowed it, but the terminating callout wrote nothing on reauthorization."""
    _, stack = _prompt(SilentReauthPromptDriver)
    journey = _connect(stack, CURL)
    assert journey.verdict == "BLOCK"
    assert "(forgot to answer)" in journey.log[-1]
    assert journey.pends[0].outcome.endswith("BLOCK")


def test_pending_where_there_is_no_completion_handle_is_a_fault() -> None:
    """ALE_FLOW_ESTABLISHED: no completion handle, STATUS_FWP_NULL_POINTER, named fault."""
    _, stack = _prompt(FlowEstablishedPromptDriver)
    journey = _connect(stack, CURL)
    assert journey.pends == []
    [fault] = journey.faults
    assert "no completion handle" in fault and f"0x{STATUS_FWP_NULL_POINTER:08X}" in fault
    assert journey.verdict == "BLOCK" and journey.decided_at == "ALE_FLOW_ESTABLISHED_V4"


def _engine_with(layer: str, classify: Callable[..., None]) -> Engine:
    engine = Engine()
    key = uuid.uuid4()
    engine.add_callout(Callout("pender", layer, key))
    engine.register_callout(key, classify)
    engine.add_filter(Filter("pend it", layer, "CALLOUT_TERMINATING", callout=key))
    return engine


def test_pending_a_reauthorization_is_refused() -> None:
    """FwpsPendOperation0 with IS_REAUTHORIZE set: STATUS_FWP_CANNOT_PEND (its Remarks)."""
    statuses: list[int] = []

    def always_pend(
        fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, fc: int, out: Any
    ) -> None:
        context: Out[int] = Out()
        statuses.append(FwpsPendOperation0(meta.completion_handle, context))
        if statuses[-1] == STATUS_SUCCESS:
            schedule_after(1.0, lambda: FwpsCompleteOperation0(context.value or 0, None))
        out.action_type = FWP_ACTION_BLOCK
        out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB
        out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    journey = _connect(Stack(_engine_with("ALE_AUTH_CONNECT_V4", always_pend)), CURL)
    assert statuses == [STATUS_SUCCESS, STATUS_FWP_CANNOT_PEND]
    assert journey.verdict == "BLOCK" and any("STATUS_FWP_CANNOT_PEND" in f for f in journey.faults)


def test_completing_twice_is_a_fault_of_the_scheduled_work() -> None:
    """The second FwpsCompleteOperation0 raises; the stack records it, the connect goes on."""

    def twice(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, fc: int, out: Any) -> None:
        if fixed.get("FLAGS") & FWP_CONDITION_FLAG_IS_REAUTHORIZE:
            out.action_type = FWP_ACTION_PERMIT
            return
        context: Out[int] = Out()
        FwpsPendOperation0(meta.completion_handle, context)
        schedule_after(2.0, lambda: FwpsCompleteOperation0(context.value or 0, None), "once")
        schedule_after(2.0, lambda: FwpsCompleteOperation0(context.value or 0, None), "twice")
        out.action_type = FWP_ACTION_BLOCK
        out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB

    stack = Stack(_engine_with("ALE_AUTH_CONNECT_V4", twice))
    first = _connect(stack, CURL)
    assert first.verdict == "PERMIT"
    second = _connect(stack, CURL)  # the "twice" callback runs while this one waits
    assert any("'twice'" in f and "already completed" in f for f in second.faults)


def test_pending_without_block_and_absorb_is_a_fault() -> None:
    """Microsoft: a callout that pends returns FWP_ACTION_BLOCK with the ABSORB flag."""

    def sloppy(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, fc: int, out: Any) -> None:
        if fixed.get("FLAGS") & FWP_CONDITION_FLAG_IS_REAUTHORIZE:
            out.action_type = FWP_ACTION_PERMIT
            return
        context: Out[int] = Out()
        FwpsPendOperation0(meta.completion_handle, context)
        schedule_after(1.0, lambda: FwpsCompleteOperation0(context.value or 0, None))
        out.action_type = FWP_ACTION_BLOCK  # no ABSORB

    journey = _connect(Stack(_engine_with("ALE_AUTH_CONNECT_V4", sloppy)), CURL)
    assert journey.verdict == "PERMIT"
    assert any("FWPS_CLASSIFY_OUT_FLAG_ABSORB" in f for f in journey.faults)


def test_completion_calls_called_wrongly_raise_clear_errors() -> None:
    """Outside an engine, or with an unknown context: InvalidParameterError naming it."""
    with pytest.raises(InvalidParameterError, match="needs an engine"):
        FwpsCompleteOperation0(0x1234, None)
    engine = Engine()
    with engine.kernel_context(), pytest.raises(InvalidParameterError, match="unknown"):
        FwpsCompleteOperation0(0x1234, None)
    assert FwpsPendOperation0(1, Out()) == STATUS_FWP_TCPIP_NOT_READY


def test_the_clock_runs_callbacks_in_order_and_contains_faults() -> None:
    """Time order, then scheduling order; a raising callback is a recorded fault."""
    clock, seen = Clock(), []
    clock.schedule(2.0, lambda: seen.append("b"), "b")
    clock.schedule(1.0, lambda: seen.append("a"), "a")
    clock.schedule(2.0, lambda: 1 / 0, "boom")
    ran = clock.advance(3.0)
    assert seen == ["a", "b"] and clock.now == 3.0
    assert ran[-1].label == "boom" and ran[-1].fault.startswith("ZeroDivisionError")
    with pytest.raises(InvalidParameterError, match="seconds"):
        clock.schedule(-1, lambda: None)
    with pytest.raises(InvalidParameterError, match="needs an engine"):
        schedule_after(1.0, lambda: None)


def test_pend_connect_scenario_checks_itself(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim run pend-connect` holds; its JSON has each journey's pends and duration."""
    assert run("pend-connect").ok
    assert main(["run", "pend-connect", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    first = doc["traffic"][0]
    assert first["duration"] == 5.0 and first["pends"][0]["completed_at"] == 5.0


def test_the_step_report_table_and_player_show_the_pend_and_the_time() -> None:
    """Step report: time, note, completion handle; table: a time column; player: t= and pends."""
    from wfpsim.stack.inspect import journey_table, step_report
    from wfpsim.viz import frames

    _, stack = _prompt()
    journey = _connect(stack, CURL)
    pended, again = [s for s in journey.steps if s.layer == "ALE_AUTH_CONNECT_V4"]
    assert pended.event == "connect() (pended)"
    report = step_report(pended)
    assert "note: pended by 'prompt-firewall' (FwpsPendOperation0)" in report
    assert f"completion_handle = {pended.in_meta_values.completion_handle}" in report
    assert "time: t=5.000 s (simulated)" in step_report(again)
    table = journey_table(journey)
    assert table.header[-1] == "t (s)" and table.rows[again.index][-1] == "5.000"
    frame = frames.frame(journey, again.index)
    assert "t=5.000 s" in frame["inspector"] and "reauthorize (pend completed)" in frame["label"]
    assert "pended by" in frames.frame(journey, pended.index)["inspector"]
    last = frames.frame(journey, len(journey.steps) - 1)
    assert "<b>pend</b>: &#x27;prompt-firewall&#x27; FwpsPendOperation0" in last["decision"]


def _pend_and_answer(delay: float, verdict: int) -> Callable[..., None]:
    """A callout that pends, completes ``delay`` s later, and answers ``verdict`` on reauth."""

    def classify(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, fc: int, out: Any) -> None:
        if fixed.get("FLAGS") & FWP_CONDITION_FLAG_IS_REAUTHORIZE:
            out.action_type = verdict
            out.rights &= ~FWPS_RIGHT_ACTION_WRITE
            return
        context: Out[int] = Out()
        assert FwpsPendOperation0(meta.completion_handle, context) == STATUS_SUCCESS
        schedule_after(delay, lambda: FwpsCompleteOperation0(context.value or 0, None))
        out.action_type = FWP_ACTION_BLOCK
        out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB
        out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    return classify


@pytest.mark.parametrize(
    ("layer", "direction", "verdict", "result"),
    [
        ("ALE_AUTH_LISTEN_V4", "inbound", FWP_ACTION_PERMIT, "PERMIT"),
        ("ALE_AUTH_LISTEN_V4", "inbound", FWP_ACTION_BLOCK, "DROP"),
        ("ALE_RESOURCE_ASSIGNMENT_V4", "outbound", FWP_ACTION_PERMIT, "PERMIT"),
        ("ALE_RESOURCE_ASSIGNMENT_V4", "outbound", FWP_ACTION_BLOCK, "BLOCK"),
    ],
)
def test_listen_and_bind_can_be_pended_and_are_reauthorized(
    layer: str, direction: str, verdict: int, result: str
) -> None:
    """listen() and bind() wait too; the reauthorization's answer decides (a blocked listen:
    no listener, so the incoming SYN is dropped)."""
    engine = _engine_with(layer, _pend_and_answer(2.0, verdict))
    journey = Stack(engine).run("tcp", direction, "10.0.0.5:80", "198.51.100.7:443")
    assert journey.verdict == result
    steps = [s for s in journey.setup + journey.steps if s.layer == layer]
    assert [s.time for s in steps] == [0.0, 2.0]
    assert steps[1].in_fixed_values.get("FLAGS") & FWP_CONDITION_FLAG_IS_REAUTHORIZE


@settings(max_examples=25, deadline=None)
@given(delay=st.floats(min_value=0, max_value=40, allow_nan=False))
def test_the_answer_arrives_after_its_delay_or_the_stack_gives_up(delay: float) -> None:
    """Property: completed within 21 s, the reauthorization runs at exactly that time and
    decides; later, the connect fails at 21 s and the callout is named."""
    engine = _engine_with("ALE_AUTH_CONNECT_V4", _pend_and_answer(delay, FWP_ACTION_PERMIT))
    journey = _connect(Stack(engine), CURL)
    if delay <= PEND_TIMEOUT:
        assert journey.verdict == "PERMIT" and journey.duration == delay
        assert journey.pends[0].completed_at == delay and journey.faults == []
    else:
        assert journey.verdict == "BLOCK" and journey.duration == PEND_TIMEOUT
        assert "never completed" in journey.faults[0]


def test_a_completion_handle_is_valid_only_while_its_classifyfn_runs() -> None:
    """Pending later, from a callback, with a kept handle: STATUS_FWP_NULL_POINTER, a fault."""
    statuses: list[int] = []

    def late(fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, fc: int, out: Any) -> None:
        handle = meta.completion_handle
        schedule_after(0.0, lambda: statuses.append(FwpsPendOperation0(handle, Out())))
        out.action_type = FWP_ACTION_PERMIT

    stack = Stack(_engine_with("ALE_AUTH_CONNECT_V4", late))
    _connect(stack, CURL)
    _connect(stack, CURL)  # no wait in either journey: the callbacks stay scheduled
    with stack.engine.kernel_context():
        clock_of(stack.engine.kernel).advance(1.0)
    assert statuses == [STATUS_FWP_NULL_POINTER, STATUS_FWP_NULL_POINTER]
