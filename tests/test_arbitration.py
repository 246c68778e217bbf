"""Classification at one layer: traces, callouts as C-shaped functions, faults, statistics."""

from typing import Any

import pytest

from wfpsim import Action, Callout, Condition, Engine, Filter, Sublayer
from wfpsim.arbitration import normalise
from wfpsim.callouts import BuiltinCallout, ClassifyOut, IncomingValues, KernelFilter
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_ADDRESS,
    FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT,
    FWPS_RIGHT_ACTION_WRITE,
)
from wfpsim.trace import Effect

LAYER = "ALE_AUTH_CONNECT_V4"


@pytest.mark.parametrize(
    ("filter_action", "written", "expected"),
    [
        (Action.CALLOUT_TERMINATING, Action.PERMIT, Action.PERMIT),
        (Action.CALLOUT_TERMINATING, Action.BLOCK, Action.BLOCK),
        (Action.CALLOUT_TERMINATING, Action.CONTINUE, Action.BLOCK),
        (Action.CALLOUT_TERMINATING, Action.NONE, Action.BLOCK),
        (Action.CALLOUT_INSPECTION, Action.PERMIT, Action.CONTINUE),
        (Action.CALLOUT_INSPECTION, Action.BLOCK, Action.CONTINUE),
        (Action.CALLOUT_UNKNOWN, Action.CONTINUE, Action.CONTINUE),
        (Action.CALLOUT_UNKNOWN, Action.PERMIT, Action.PERMIT),
        (Action.CALLOUT_UNKNOWN, 0x1234, Action.BLOCK),
    ],
)
def test_return_values_normalised_per_filter_type(
    filter_action: Action, written: int, expected: Action
) -> None:
    """The [A-fwpsaction] table: what each callout filter type's return value means."""
    assert normalise(filter_action, int(written), left_alone=False)[0] == expected


def test_unknown_callout_writing_nothing_continues_as_labelled_choice() -> None:
    """[our choice] CALLOUT_UNKNOWN leaving no decision is CONTINUE, and the trace says so."""
    engine = Engine()
    engine.add_callout(Callout("quiet", LAYER))
    engine.register_callout("quiet", BuiltinCallout("NOTHING"))
    engine.add_filter(Filter("u", LAYER, "CALLOUT_UNKNOWN", callout="quiet", weight=2))
    engine.add_filter(Filter("p", LAYER, "PERMIT", weight=1))
    c = engine.classify(LAYER)
    assert c.action == Action.PERMIT and c.filter_name == "p"
    assert any("our choice" in choice for choice in c.choices)


def test_trace_records_failed_condition_and_skips() -> None:
    """Each filter's step says whether it matched, which condition failed, or was skipped."""
    engine = Engine()
    engine.add_filter(
        Filter("web", LAYER, "PERMIT", [Condition("IP_REMOTE_PORT", "EQUAL", 80)], weight=3)
    )
    engine.add_filter(Filter("block rest", LAYER, "BLOCK", weight=2))
    engine.add_filter(Filter("never reached", LAYER, "PERMIT", weight=1))
    c = engine.classify(LAYER, {"IP_REMOTE_PORT": 8080})
    (sub,) = c.sublayers
    effects = [(s.name, s.effect) for s in sub.steps]
    assert effects == [
        ("web", Effect.NO_MATCH),
        ("block rest", Effect.DECIDED),
        ("never reached", Effect.SKIPPED),
    ]
    assert sub.steps[0].failed_condition == "IP_REMOTE_PORT == 80 (value 8080)"
    assert (sub.result, sub.result_filter) == (Action.BLOCK, "block rest")


def test_classify_out_starts_as_the_decision_so_far() -> None:
    """A callout sees the current action and rights, and one that writes nothing changes nothing."""
    seen: list[tuple[int, int]] = []

    def spy(
        fixed: Any, meta: Any, data: Any, ctx: Any, flt: Any, flow: int, out: ClassifyOut
    ) -> None:
        seen.append((int(out.action_type), out.rights))

    engine = Engine()
    engine.add_sublayer(Sublayer("high", 0x200))
    engine.add_sublayer(Sublayer("low", 0x100))
    engine.add_callout(Callout("spy", LAYER))
    engine.register_callout("spy", spy)
    engine.add_filter(
        Filter("hard permit", LAYER, "PERMIT", sublayer="high", flags=["CLEAR_ACTION_RIGHT"])
    )
    engine.add_filter(Filter("watch", LAYER, "CALLOUT_TERMINATING", callout="spy", sublayer="low"))
    c = engine.classify(LAYER)
    assert seen == [(FWP_ACTION_PERMIT, 0)]
    assert c.action == Action.PERMIT and c.filter_name == "hard permit" and not c.veto
    step = c.sublayers[1].steps[0]
    assert step.callout is not None and not step.callout.had_write_right


def test_callout_reads_fields_like_a_driver() -> None:
    """incoming_value[FWPS_FIELD_…].value.uint16 and the Pythonic accessor agree."""
    got: dict[str, Any] = {}

    def classify(
        fixed: IncomingValues,
        meta: Any,
        data: Any,
        ctx: Any,
        flt: KernelFilter,
        flow: int,
        out: ClassifyOut,
    ) -> None:
        got["port"] = fixed.incoming_value[
            FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT
        ].value.uint16
        got["addr"] = fixed.incoming_value[
            FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_ADDRESS
        ].value.uint32
        got["pythonic"] = fixed["IP_REMOTE_PORT"].uint16
        got["filter"] = (flt.filter_id, flt.action.type, flt.action.callout_id)
        got["count"] = fixed.value_count
        if out.rights & FWPS_RIGHT_ACTION_WRITE:
            out.action_type = FWP_ACTION_BLOCK
            out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    engine = Engine()
    callout = engine.add_callout(Callout("reader", LAYER))
    engine.register_callout("reader", classify)
    f = engine.add_filter(Filter("read", LAYER, "CALLOUT_TERMINATING", callout="reader"))
    c = engine.classify(LAYER, {"IP_REMOTE_PORT": 443, "IP_REMOTE_ADDRESS": "192.168.1.5"})
    assert got["port"] == got["pythonic"] == 443
    assert got["addr"] == 0xC0A80105
    assert got["filter"] == (f.filter_id, Action.CALLOUT_TERMINATING, callout.callout_id)
    assert got["count"] == 42  # FWPS_FIELD_ALE_AUTH_CONNECT_V4_MAX in SDK 10.0.26100
    assert c.action == Action.BLOCK and c.decision.hard


def test_faulty_callout_is_contained() -> None:
    """A callout that raises: the result names it, the traffic is blocked, the engine lives on."""

    def broken(*args: Any) -> None:
        raise RuntimeError("null pointer")

    engine = Engine()
    engine.add_callout(Callout("broken", LAYER))
    engine.register_callout("broken", broken)
    engine.add_filter(
        Filter("hard permit", LAYER, "PERMIT", weight=9, flags=["CLEAR_ACTION_RIGHT"])
    )
    engine.add_sublayer(Sublayer("low", 1))
    engine.add_filter(
        Filter("uses broken", LAYER, "CALLOUT_INSPECTION", callout="broken", sublayer="low")
    )
    c = engine.classify(LAYER)
    assert c.action == Action.BLOCK
    assert len(c.faults) == 1 and "'broken'" in c.faults[0] and "null pointer" in c.faults[0]
    assert "callout fault" in c.explain()
    assert engine.classify(LAYER).action == Action.BLOCK  # still alive, still consistent


def test_veto_is_counted_and_reported() -> None:
    """A veto increments classifyVetoCount and raises a veto event (audit id 5153)."""
    engine = Engine()
    engine.add_sublayer(Sublayer("top", 0xFFFF))
    engine.add_callout(Callout("vetoer", LAYER))
    engine.register_callout("vetoer", BuiltinCallout("BLOCK", respect_write_right=False))
    engine.add_filter(
        Filter("hard permit", LAYER, "PERMIT", sublayer="top", flags=["CLEAR_ACTION_RIGHT"])
    )
    engine.add_filter(Filter("veto", LAYER, "CALLOUT_TERMINATING", callout="vetoer"))
    c = engine.classify(LAYER)
    assert c.veto and c.action == Action.BLOCK and c.filter_name == "veto"
    stats = engine.statistics(LAYER)
    assert (stats.classify_veto_count, stats.classify_block_count) == (1, 1)
    (event,) = engine.classify_log.vetoes
    assert (event.filter_name, event.overridden, event.audit_event_id) == (
        "veto",
        "hard permit",
        5153,
    )


def test_static_filter_never_vetoes() -> None:
    """A static BLOCK below a hard permit is ignored, not a veto."""
    engine = Engine()
    engine.add_sublayer(Sublayer("top", 0xFFFF))
    engine.add_filter(
        Filter("hard permit", LAYER, "PERMIT", sublayer="top", flags=["CLEAR_ACTION_RIGHT"])
    )
    engine.add_filter(Filter("block", LAYER, "BLOCK"))
    c = engine.classify(LAYER)
    assert c.action == Action.PERMIT and not c.veto
    assert c.sublayers[1].steps[0].effect == Effect.IGNORED


def test_explanation_reads_like_the_brief() -> None:
    """The doc example's explanation names the winner, its strength, the soft permit and the logger."""
    from wfpsim.runner import run

    result = run("arbitration-example")
    text = result.classifications[1].classification.explain()
    assert text.splitlines()[0] == "BLOCK by 'port80' in FW2 (static block: hard)."
    assert "The permit from 'iis' in FW1 was soft, so 'port80' in FW2 could override it." in text
    assert "'log_callout' ('log' in LOGGING) still ran, without the write right." in text


def test_values_are_type_checked_at_classify() -> None:
    """A wrong value for a field is a clear FWP_E_TYPE_MISMATCH, not a silent non-match."""
    from wfpsim.errors import ConditionNotFoundError, TypeMismatchError

    engine = Engine()
    with pytest.raises(TypeMismatchError, match="IP_REMOTE_PORT"):
        engine.classify(LAYER, {"IP_REMOTE_PORT": "http"})
    with pytest.raises(ConditionNotFoundError):
        engine.classify("OUTBOUND_IPPACKET_V4", {"IP_REMOTE_PORT": 80})


def test_unknown_callout_left_alone_after_soft_permit_continues() -> None:
    """[our choice] untouched classifyOut is CONTINUE even when it still holds a PERMIT."""
    engine = Engine()
    engine.add_callout(Callout("quiet", LAYER))
    engine.register_callout("quiet", BuiltinCallout("NOTHING"))
    engine.add_sublayer(Sublayer("top", 0xFFFF))
    engine.add_filter(Filter("soft permit", LAYER, "PERMIT", sublayer="top"))
    engine.add_filter(Filter("u", LAYER, "CALLOUT_UNKNOWN", callout="quiet", weight=2))
    engine.add_filter(Filter("b", LAYER, "BLOCK", weight=1))
    c = engine.classify(LAYER)
    low = c.sublayers[1]
    assert [s.effect for s in low.steps] == [Effect.CONTINUE, Effect.DECIDED]
    assert c.action == Action.BLOCK and c.filter_name == "b"


def test_absorb_flag_is_not_carried_to_the_next_callout() -> None:
    """classifyOut.flags start empty for each callout: an earlier ABSORB does not leak."""
    seen: list[int] = []

    def hard_block(*args: Any) -> None:
        out = args[-1]
        seen.append(out.flags)
        out.action_type = FWP_ACTION_BLOCK
        out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    engine = Engine()
    engine.add_sublayer(Sublayer("top", 0xFFFF))
    engine.add_callout(Callout("absorber", LAYER))
    engine.register_callout("absorber", BuiltinCallout("BLOCK", absorb=True))
    engine.add_callout(Callout("hard", LAYER))
    engine.register_callout("hard", hard_block)
    engine.add_filter(
        Filter("absorb", LAYER, "CALLOUT_TERMINATING", callout="absorber", sublayer="top")
    )
    engine.add_filter(Filter("hard block", LAYER, "CALLOUT_TERMINATING", callout="hard"))
    c = engine.classify(LAYER)
    assert seen == [0]
    assert c.action == Action.BLOCK and c.filter_name == "hard block" and not c.absorbed


def test_conditional_on_flow_callout_is_not_called_without_a_context() -> None:
    """FWP_CALLOUT_FLAG_CONDITIONAL_ON_FLOW: classifyFn only runs on flows with a context."""
    calls: list[int] = []

    def count(*args: Any) -> None:
        calls.append(args[5])
        args[-1].action_type = FWP_ACTION_BLOCK

    engine = Engine()
    engine.add_callout(Callout("per flow", LAYER))
    callout_id = engine.register_callout("per flow", count, flags=0x1)
    engine.add_filter(Filter("flow block", LAYER, "CALLOUT_TERMINATING", callout="per flow"))
    plain = engine.classify(LAYER)
    assert calls == [] and plain.action == Action.NONE
    assert plain.sublayers[0].steps[0].effect == Effect.NO_FLOW_CONTEXT
    assert "CONDITIONAL_ON_FLOW" in plain.explain()
    with_context = engine.classify(LAYER, flow_contexts={callout_id: 0xBEEF})
    assert calls == [0xBEEF] and with_context.action == Action.BLOCK


def test_veto_event_names_the_hard_permit_actually_vetoed() -> None:
    """A soft permit above the hard one is not what the veto overrode."""
    engine = Engine()
    engine.add_sublayer(Sublayer("top", 0xFFFF))
    engine.add_sublayer(Sublayer("mid", 0x8000))
    engine.add_sublayer(Sublayer("low", 1))
    engine.add_callout(Callout("vetoer", LAYER))
    engine.register_callout("vetoer", BuiltinCallout("BLOCK", respect_write_right=False))
    engine.add_filter(Filter("soft permit", LAYER, "PERMIT", sublayer="top"))
    engine.add_filter(
        Filter("hard permit", LAYER, "PERMIT", sublayer="mid", flags=["CLEAR_ACTION_RIGHT"])
    )
    engine.add_filter(
        Filter("veto", LAYER, "CALLOUT_TERMINATING", callout="vetoer", sublayer="low")
    )
    c = engine.classify(LAYER)
    assert c.veto and c.vetoed == "hard permit"
    assert engine.classify_log.vetoes[0].overridden == "hard permit"


def test_fault_after_a_hard_block_keeps_the_blocking_filter() -> None:
    """A fault blocks (labelled choice), but a hard BLOCK already taken keeps its filterId."""

    def broken(*args: Any) -> None:
        raise RuntimeError("oops")

    engine = Engine()
    engine.add_sublayer(Sublayer("top", 0xFFFF))
    engine.add_callout(Callout("broken", LAYER))
    engine.register_callout("broken", broken)
    engine.add_filter(Filter("hard block", LAYER, "BLOCK", sublayer="top"))
    engine.add_filter(Filter("faulty", LAYER, "CALLOUT_INSPECTION", callout="broken"))
    c = engine.classify(LAYER)
    assert c.action == Action.BLOCK and c.filter_name == "hard block" and c.faults
    assert any("bug-check" in choice for choice in c.choices)
