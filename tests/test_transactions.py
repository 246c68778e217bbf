"""Transactions and refused calls leave everything as it was; notifyFn faults are recorded."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from wfpsim import Callout, Condition, Engine, Filter, NotifyType
from wfpsim.errors import (
    CalloutNotificationFailedError,
    InvalidParameterError,
    LayerNotFoundError,
    TxnTimeoutError,
    WfpError,
)
from wfpsim.kernel import DbgPrint

LAYER = "ALE_AUTH_CONNECT_V4"


def _context_engine(seen: list[int]) -> Engine:
    """An engine with callout 'c' whose notifyFn sets a context and classifyFn records it."""

    def notify(kind: NotifyType, key: object, flt: Any) -> int:
        if kind == NotifyType.ADD_FILTER and flt.name.startswith("ctx"):
            flt.context = 0xBAD
        return 0

    def classify(*args: Any) -> None:
        seen.append(args[4].context)

    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    engine.register_callout("c", classify, notify=notify)
    return engine


def test_abort_takes_back_a_context_set_in_the_transaction() -> None:
    """The next filter reuses the aborted one's id but never sees its context (the old bug)."""
    seen: list[int] = []
    engine = _context_engine(seen)
    s = engine.open_session()
    s.begin()
    aborted = s.add_filter(Filter("ctx aborted", LAYER, "CALLOUT_INSPECTION", callout="c"))
    s.abort()
    fresh = engine.add_filter(Filter("plain", LAYER, "CALLOUT_INSPECTION", callout="c"))
    assert fresh.filter_id == aborted.filter_id
    engine.classify(LAYER)
    assert seen == [0]
    assert engine.kernel_filter_contexts == {}


def test_abort_restores_the_context_of_a_filter_deleted_inside_it() -> None:
    """A filter deleted in an aborted transaction comes back with its context."""
    seen: list[int] = []
    engine = _context_engine(seen)
    kept = engine.add_filter(Filter("ctx kept", LAYER, "CALLOUT_INSPECTION", callout="c"))
    s = engine.open_session()
    with pytest.raises(RuntimeError), s.transaction():
        s.delete_filter(kept.filter_id)
        raise RuntimeError("abort")
    assert engine.kernel_filter_contexts == {kept.filter_id: 0xBAD}
    engine.classify(LAYER)
    assert seen == [0xBAD]


def test_classification_in_a_transaction_sees_only_committed_filters() -> None:
    """Uncommitted filters stay invisible to classify and queries until commit."""
    engine = Engine()
    s = engine.open_session()
    s.begin()
    s.add_filter(Filter("pending block", LAYER, "BLOCK"))
    assert engine.classify(LAYER).action.name != "BLOCK"
    assert engine.filters() == []
    s.commit()
    assert engine.classify(LAYER).action.name == "BLOCK"


def test_a_raising_notify_fails_the_add_and_is_recorded() -> None:
    """A notifyFn that raises is a recorded fault; ADD_FILTER fails, nothing is stored."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))

    def notify(kind: NotifyType, key: object, flt: Any) -> int:
        raise ZeroDivisionError("oops")

    engine.register_callout("c", lambda *a: None, notify=notify)
    with pytest.raises(CalloutNotificationFailedError, match="ZeroDivisionError"):
        engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="c"))
    call = engine.notifications[-1]
    assert call.kind == NotifyType.ADD_FILTER and call.status == 0xC0000001
    assert "ZeroDivisionError: oops" in call.fault
    assert engine.filters() == []


def test_a_raising_delete_notify_is_recorded_and_the_delete_goes_on() -> None:
    """DELETE_FILTER faults are recorded too; the filter is deleted anyway."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))

    def notify(kind: NotifyType, key: object, flt: Any) -> int:
        if kind == NotifyType.DELETE_FILTER:
            raise SystemExit(3)
        return 0

    engine.register_callout("c", lambda *a: None, notify=notify)
    engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="c"))
    engine.delete_filter("f")
    assert engine.filters() == []
    assert "SystemExit" in engine.notifications[-1].fault


def test_a_policy_change_from_inside_a_notify_is_refused_not_lost() -> None:
    """A notifyFn adding a filter mid-change gets FWP_E_TIMEOUT; nothing is silently lost."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    refused: list[WfpError] = []

    def notify(kind: NotifyType, key: object, flt: Any) -> int:
        if kind == NotifyType.ADD_FILTER:
            try:
                engine.add_filter(Filter("sneaky", LAYER, "BLOCK"))
            except TxnTimeoutError as err:
                refused.append(err)
        return 0

    engine.register_callout("c", lambda *a: None, notify=notify)
    engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="c"))
    assert [f.name for f in engine.filters()] == ["f"]
    assert len(refused) == 1 and refused[0].code == "FWP_E_TIMEOUT"


def test_a_notify_that_lets_the_refusal_escape_fails_the_add() -> None:
    """Letting the refusal propagate is a notify fault: the add fails, both are gone."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))

    def notify(kind: NotifyType, key: object, flt: Any) -> int:
        engine.add_filter(Filter("sneaky", LAYER, "BLOCK"))
        return 0

    engine.register_callout("c", lambda *a: None, notify=notify)
    with pytest.raises(CalloutNotificationFailedError, match="FWP_E_TIMEOUT"):
        engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="c"))
    assert engine.filters() == []


def test_a_non_integer_context_from_notify_is_a_fault() -> None:
    """filter.context must be an integer (a pointer-sized value)."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))

    def notify(kind: NotifyType, key: object, flt: Any) -> int:
        flt.context = "not a pointer"
        return 0

    engine.register_callout("c", lambda *a: None, notify=notify)
    with pytest.raises(CalloutNotificationFailedError, match="not an integer"):
        engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="c"))
    assert engine.filters() == [] and engine.kernel_filter_contexts == {}


def test_dbgprint_outside_an_engine_goes_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """No process-wide log: a line printed outside any kernel goes to standard error."""
    DbgPrint("port %hu", 80)
    assert capsys.readouterr().err == "port 80\n"
    engine = Engine()
    with engine.kernel_context():
        DbgPrint("inside")
    assert engine.debug_log == ["inside"]


def test_a_notify_prints_into_its_engines_log() -> None:
    """notifyFn runs inside its engine's kernel context."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    engine.register_callout("c", None, notify=lambda *a: DbgPrint("notified %d", a[0]))
    engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="c"))
    assert engine.debug_log == ["notified 0"]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda e: e.delete_filter(None), InvalidParameterError),
        (lambda e: e.delete_filter(1.5), InvalidParameterError),
        (lambda e: Filter("f", LAYER, conditions=None), InvalidParameterError),
        (lambda e: Filter("f", LAYER, conditions=[1]), InvalidParameterError),
        (lambda e: Filter("f", LAYER, raw_context="x"), InvalidParameterError),
        (lambda e: Filter("f", None), InvalidParameterError),
        (lambda e: Filter("f", LAYER, sublayer=1.5), InvalidParameterError),
        (lambda e: Filter("f", LAYER, flags=[1.5]), WfpError),
        (lambda e: Filter("f", LAYER, action=None), WfpError),
        (lambda e: Callout("w", None), InvalidParameterError),
        (lambda e: Callout("w", "NO_SUCH_LAYER"), LayerNotFoundError),
        (lambda e: e.classify(LAYER, [1]), InvalidParameterError),
        (lambda e: e.open_session(key="not a guid"), InvalidParameterError),
        (lambda e: e.open_session(key=7), InvalidParameterError),
        (lambda e: e.add_filter("f"), InvalidParameterError),
        (lambda e: e.register_callout(1.5, None), InvalidParameterError),
        (lambda e: e.register_callout(uuid.uuid4(), "not callable"), InvalidParameterError),
        (lambda e: e.register_callout(uuid.uuid4(), None, flags=0x1000), WfpError),
    ],
)
def test_wrong_types_are_named_errors(call: Any, error: type[Exception]) -> None:
    """Wrong argument types raise WfpError subclasses naming the value, never AttributeError."""
    engine = Engine()
    with pytest.raises(error) as info:
        call(engine)
    assert isinstance(info.value, WfpError)
    assert engine.filters() == []


def test_friendly_filter_forms_still_work() -> None:
    """The README's friendly constructor converts to stored types at once."""
    from wfpsim import Sublayer, Weight

    engine = Engine()
    engine.add_sublayer(Sublayer("my product", 0x100))
    flt = Filter(
        "no telnet",
        "ALE_AUTH_CONNECT_V4",
        "BLOCK",
        [Condition("IP_REMOTE_PORT", "EQUAL", 23)],
        sublayer="my product",
        weight=Weight.range(2),
        flags=["CLEAR_ACTION_RIGHT"],
    )
    stored = engine.add_filter(flt)
    assert stored.sublayer == engine.sublayer("my product").key
    assert stored.sublayer_name == "my product"
    assert stored.flags.name == "CLEAR_ACTION_RIGHT"
    assert stored.effective_weight >> 60 == 2
