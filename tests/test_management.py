"""The management API: objects, sessions, transactions, errors (cases 42-52 and more)."""

import uuid
from typing import Any

import pytest

from wfpsim import Action, Callout, Condition, Engine, Filter, NotifyType, Provider, Sublayer
from wfpsim.errors import (
    AlreadyExistsError,
    BuiltinObjectError,
    CalloutNotFoundError,
    CalloutNotificationFailedError,
    ConditionNotFoundError,
    DynamicSessionInProgressError,
    FilterNotFoundError,
    IncompatibleLayerError,
    IncompatibleTxnError,
    InUseError,
    InvalidActionTypeError,
    InvalidFlagsError,
    LayerNotFoundError,
    LifetimeMismatchError,
    NoTxnInProgressError,
    NullDisplayNameError,
    SessionAbortedError,
    SublayerNotFoundError,
    TxnInProgressError,
    TxnTimeoutError,
    TypeMismatchError,
    WrongSessionError,
)

LAYER = "ALE_AUTH_CONNECT_V4"
UNIVERSAL = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")


def state(engine: Engine) -> tuple[object, ...]:
    return (
        tuple(engine.filters()),
        tuple(engine.sublayers()),
        tuple(engine.callouts()),
        tuple(engine.providers()),
    )


def test_filter_defaults_to_universal_sublayer_and_gets_an_id() -> None:
    """No sublayer -> the layer's default sublayer, FWPM_SUBLAYER_UNIVERSAL; ids count up."""
    engine = Engine()
    a = engine.add_filter(Filter("a", LAYER))
    b = engine.add_filter(Filter("b", LAYER))
    assert a.sublayer == UNIVERSAL and engine.sublayer(UNIVERSAL).weight == 32768
    assert (a.filter_id, b.filter_id) == (1, 2)
    assert engine.filter(a.key) == a == engine.filter(1) == engine.filter("a")


def test_keys_are_deterministic() -> None:
    """Two engines fed the same calls assign the same keys (BFE-generated keys, our choice)."""
    keys = [Engine().add_filter(Filter("x", LAYER)).key for _ in range(2)]
    assert keys[0] == keys[1]


def test_case42_duplicate_filter_key() -> None:
    """Case 42: adding a filter key twice -> FWP_E_ALREADY_EXISTS 0x80320009."""
    engine = Engine()
    key = uuid.uuid4()
    engine.add_filter(Filter("a", LAYER, key=key))
    with pytest.raises(AlreadyExistsError) as info:
        engine.add_filter(Filter("b", LAYER, key=key))
    assert info.value.hresult == 0x80320009
    assert [f.name for f in engine.filters()] == ["a"]


def test_case43_unknown_references() -> None:
    """Case 43: unknown sublayer / callout / layer keys name the *_NOT_FOUND error."""
    engine = Engine()
    with pytest.raises(SublayerNotFoundError) as s:
        engine.add_filter(Filter("a", LAYER, sublayer=uuid.uuid4()))
    assert s.value.hresult == 0x80320007
    with pytest.raises(CalloutNotFoundError) as c:
        engine.add_filter(Filter("a", LAYER, Action.CALLOUT_TERMINATING, callout=uuid.uuid4()))
    assert c.value.hresult == 0x80320001
    with pytest.raises(LayerNotFoundError) as la:
        Filter("a", str(uuid.uuid4()))
    assert la.value.hresult == 0x80320004


def test_case44_delete_in_use() -> None:
    """Case 44: deleting a sublayer or callout that filters use -> FWP_E_IN_USE."""
    engine = Engine()
    engine.add_sublayer(Sublayer("mine", 0x100))
    engine.add_callout(Callout("inspect", LAYER))
    engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", sublayer="mine", callout="inspect"))
    before = state(engine)
    with pytest.raises(InUseError, match="'f'"):
        engine.delete_sublayer("mine")
    with pytest.raises(InUseError) as info:
        engine.delete_callout("inspect")
    assert info.value.hresult == 0x8032000A
    assert state(engine) == before
    engine.delete_filter("f")
    engine.delete_callout("inspect")
    engine.delete_sublayer("mine")


@pytest.mark.parametrize("commit", [True, False])
def test_case45_failed_call_does_not_spoil_transaction(commit: bool) -> None:
    """Case 45: 3 adds, a 4th that fails, then commit -> 3 filters; abort -> none."""
    engine = Engine()
    s = engine.open_session("s")
    s.begin()
    for i in range(3):
        s.add_filter(Filter(f"f{i}", LAYER))
    with pytest.raises(ConditionNotFoundError):
        s.add_filter(
            Filter(
                "bad", "OUTBOUND_IPPACKET_V4", conditions=[Condition("IP_REMOTE_PORT", "EQUAL", 1)]
            )
        )
    assert engine.filters() == []  # nothing visible before commit
    s.commit() if commit else s.abort()
    assert [f.name for f in engine.filters()] == (["f0", "f1", "f2"] if commit else [])


def test_case46_transaction_errors() -> None:
    """Case 46: double begin, commit without begin, add in read-only transaction."""
    s = Engine().open_session()
    s.begin()
    with pytest.raises(TxnInProgressError):
        s.begin()
    s.commit()
    with pytest.raises(NoTxnInProgressError):
        s.commit()
    with pytest.raises(NoTxnInProgressError):
        s.abort()
    s.begin(read_only=True)
    with pytest.raises(IncompatibleTxnError):
        s.add_filter(Filter("f", LAYER))
    s.abort()


def test_transaction_lock_is_engine_wide() -> None:
    """While one session holds a transaction, another's begin or add times out."""
    engine = Engine()
    a, b = engine.open_session("a"), engine.open_session("b")
    a.begin()
    with pytest.raises(TxnTimeoutError, match="'a'"):
        b.begin()
    with pytest.raises(TxnTimeoutError):
        b.add_filter(Filter("f", LAYER))
    a.abort()
    b.add_filter(Filter("f", LAYER))


def test_transaction_context_manager_aborts_on_error() -> None:
    """`with session.transaction():` commits on success and aborts on an exception."""
    engine = Engine()
    s = engine.open_session()
    with s.transaction():
        s.add_filter(Filter("kept", LAYER))
    with pytest.raises(RuntimeError), s.transaction():
        s.add_filter(Filter("lost", LAYER))
        raise RuntimeError("boom")
    assert [f.name for f in engine.filters()] == ["kept"]


def test_case47_dynamic_session_objects_vanish() -> None:
    """Case 47: a dynamic session's sublayer and filters go when it closes."""
    engine = Engine()
    with engine.open_session("dyn", dynamic=True) as s:
        s.add_sublayer(Sublayer("temp", 0x200))
        s.add_filter(Filter("f1", LAYER, "BLOCK", sublayer="temp"))
        s.add_filter(Filter("f2", LAYER, sublayer="temp"))
        assert len(engine.filters()) == 2
    assert engine.filters() == []
    with pytest.raises(SublayerNotFoundError):
        engine.sublayer("temp")
    with pytest.raises(SessionAbortedError):
        s.add_filter(Filter("late", LAYER))


def test_case48_wrong_session_and_dynamic_delete() -> None:
    """Case 48: deleting another session's filter or a static one from a dynamic session."""
    engine = Engine()
    s1 = engine.open_session("s1", dynamic=True)
    s2 = engine.open_session("s2", dynamic=True)
    f = s1.add_filter(Filter("f", LAYER))
    with pytest.raises(WrongSessionError):
        s2.delete_filter(f.filter_id)
    static = engine.add_filter(Filter("static", LAYER))
    with pytest.raises(DynamicSessionInProgressError):
        s2.delete_filter(static.filter_id)
    s1.delete_filter(f.filter_id)


def test_case49_session_key_already_open() -> None:
    """Case 49: opening a session whose key is open -> FWP_E_ALREADY_EXISTS."""
    engine = Engine()
    key = uuid.uuid4()
    engine.open_session(key=key)
    with pytest.raises(AlreadyExistsError):
        engine.open_session(key=key)


def test_case50_notify_error_aborts_add_but_not_delete() -> None:
    """Case 50: notifyFn error on ADD_FILTER fails the add; on DELETE_FILTER the delete goes on."""
    engine = Engine()
    engine.add_callout(Callout("picky", LAYER))
    calls: list[NotifyType] = []

    def notify(kind: NotifyType, key: uuid.UUID | None, flt: Filter) -> int:
        calls.append(kind)
        return (
            0xC0000001 if flt.name.startswith("reject") or kind == NotifyType.DELETE_FILTER else 0
        )

    engine.register_callout("picky", classify=lambda *a: None, notify=notify)
    with pytest.raises(CalloutNotificationFailedError) as info:
        engine.add_filter(Filter("reject me", LAYER, "CALLOUT_TERMINATING", callout="picky"))
    assert info.value.hresult == 0x80320037
    assert engine.filters() == []
    engine.add_filter(Filter("ok", LAYER, "CALLOUT_TERMINATING", callout="picky"))
    engine.delete_filter("ok")
    assert engine.filters() == []
    assert calls == [NotifyType.ADD_FILTER, NotifyType.ADD_FILTER, NotifyType.DELETE_FILTER]


def test_case51_late_registration_gets_delete_with_null_key() -> None:
    """Case 51: registered after its filters exist -> no ADD replay, DELETE with filterKey NULL."""
    engine = Engine()
    engine.add_callout(Callout("late", LAYER))
    engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="late"))
    seen: list[tuple[NotifyType, object]] = []
    engine.register_callout("late", classify=None, notify=lambda k, key, f: seen.append((k, key)))
    assert seen == []
    engine.delete_filter("f")
    assert seen == [(NotifyType.DELETE_FILTER, None)]


def test_post_commit_notify_only_with_flag() -> None:
    """ADD_FILTER_POST_COMMIT reaches callouts registered with ENABLE_COMMIT_ADD_NOTIFY."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    seen: list[NotifyType] = []
    engine.register_callout("c", None, notify=lambda k, key, f: seen.append(k), flags=0x4)
    s = engine.open_session()
    with s.transaction():
        s.add_filter(Filter("f", LAYER, "CALLOUT_UNKNOWN", callout="c"))
        assert seen == [NotifyType.ADD_FILTER]
    assert seen == [NotifyType.ADD_FILTER, NotifyType.ADD_FILTER_POST_COMMIT]


def test_post_commit_notify_skips_filters_deleted_in_the_transaction() -> None:
    """A filter added and deleted inside one transaction never commits: no POST_COMMIT."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    seen: list[NotifyType] = []
    engine.register_callout("c", None, notify=lambda k, key, f: seen.append(k), flags=0x4)
    s = engine.open_session()
    with s.transaction():
        s.add_filter(Filter("kept", LAYER, "CALLOUT_UNKNOWN", callout="c"))
        s.add_filter(Filter("gone", LAYER, "CALLOUT_UNKNOWN", callout="c"))
        s.delete_filter("gone")
    assert seen.count(NotifyType.ADD_FILTER_POST_COMMIT) == 1
    assert engine.notifications[-1].kind == NotifyType.ADD_FILTER_POST_COMMIT


def test_notify_can_set_the_filter_context_classify_sees() -> None:
    """notifyFn may write filter->context on ADD_FILTER; classifyFn reads it later."""
    seen: list[int] = []

    def notify(kind: NotifyType, key: object, flt: Any) -> int:
        if kind == NotifyType.ADD_FILTER:
            flt.context = 0xC0FFEE
        return 0

    def classify(*args: Any) -> None:
        seen.append(args[4].context)
        args[4].context = 1  # a const FWPS_FILTER in C: lost after the call

    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    engine.register_callout("c", classify, notify=notify)
    engine.add_filter(Filter("f", LAYER, "CALLOUT_INSPECTION", callout="c"))
    engine.classify(LAYER)
    engine.classify(LAYER)
    assert seen == [0xC0FFEE, 0xC0FFEE]
    engine.delete_filter("f")
    assert engine.kernel_filter_contexts == {}


def test_case52_null_display_name() -> None:
    """Case 52: a filter without a display name -> FWP_E_NULL_DISPLAY_NAME 0x80320023."""
    with pytest.raises(NullDisplayNameError) as info:
        Filter(None, LAYER)  # type: ignore[arg-type]
    assert info.value.hresult == 0x80320023
    with pytest.raises(NullDisplayNameError):
        Sublayer("", 1)


def test_callout_outside_its_layer() -> None:
    """A callout used at another layer -> FWP_E_INCOMPATIBLE_LAYER naming both layers."""
    engine = Engine()
    engine.add_callout(Callout("c", "OUTBOUND_TRANSPORT_V4"))
    with pytest.raises(IncompatibleLayerError, match=r"OUTBOUND_TRANSPORT_V4.*ALE_AUTH_CONNECT_V4"):
        engine.add_filter(Filter("f", LAYER, "CALLOUT_TERMINATING", callout="c"))


def test_wrong_value_type_leaves_engine_unchanged() -> None:
    """FWP_E_TYPE_MISMATCH from add_filter, and nothing was stored."""
    engine = Engine()
    with pytest.raises(TypeMismatchError):
        engine.add_filter(
            Filter("f", LAYER, conditions=[Condition("IP_REMOTE_PORT", "EQUAL", "http")])
        )
    assert engine.filters() == []
    assert engine.add_filter(Filter("g", LAYER)).filter_id == 1


def test_case28_permit_if_unregistered_only_on_terminating_or_unknown() -> None:
    """Case 28: the flag on a plain PERMIT or on CALLOUT_INSPECTION is refused."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    with pytest.raises(InvalidFlagsError):
        engine.add_filter(Filter("p", LAYER, "PERMIT", flags=["PERMIT_IF_CALLOUT_UNREGISTERED"]))
    with pytest.raises(InvalidFlagsError):
        engine.add_filter(
            Filter(
                "i",
                LAYER,
                "CALLOUT_INSPECTION",
                callout="c",
                flags="FWPM_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED",
            )
        )
    engine.add_filter(
        Filter(
            "t", LAYER, "CALLOUT_TERMINATING", callout="c", flags=["PERMIT_IF_CALLOUT_UNREGISTERED"]
        )
    )


def test_static_filter_cannot_name_callout_and_vice_versa() -> None:
    """A static filter with a callout, or a callout filter without one, is refused."""
    engine = Engine()
    engine.add_callout(Callout("c", LAYER))
    with pytest.raises(Exception, match="cannot name a callout"):
        engine.add_filter(Filter("s", LAYER, "BLOCK", callout="c"))
    with pytest.raises(Exception, match="names no callout"):
        engine.add_filter(Filter("c", LAYER, "CALLOUT_TERMINATING"))


def test_classify_results_are_not_filter_actions() -> None:
    """CONTINUE / NONE are results, not actions a filter may carry."""
    with pytest.raises(InvalidActionTypeError, match="FWP_ACTION_CONTINUE"):
        Filter("f", LAYER, "CONTINUE")
    with pytest.raises(InvalidActionTypeError, match="DENY"):
        Filter("f", LAYER, "DENY")


def test_builtin_sublayers_cannot_be_deleted() -> None:
    """Built-in objects -> FWP_E_BUILTIN_OBJECT."""
    with pytest.raises(BuiltinObjectError):
        Engine().delete_sublayer("FWPM_SUBLAYER_UNIVERSAL")


def test_static_object_cannot_reference_dynamic_one() -> None:
    """A static filter in a dynamic session's sublayer -> FWP_E_LIFETIME_MISMATCH."""
    engine = Engine()
    dyn = engine.open_session(dynamic=True)
    dyn.add_sublayer(Sublayer("dyn", 5))
    with pytest.raises(LifetimeMismatchError):
        engine.add_filter(Filter("static", LAYER, sublayer="dyn"))
    dyn.add_filter(Filter("dynamic", LAYER, sublayer="dyn"))


def test_enumeration_by_layer_sublayer_provider() -> None:
    """filters() filters by layer, sublayer and provider, sorted by effective weight."""
    engine = Engine()
    prov = engine.add_provider(Provider("Contoso"))
    engine.add_sublayer(Sublayer("fw", 0x10))
    engine.add_filter(Filter("low", LAYER, weight=1, sublayer="fw", provider="Contoso"))
    engine.add_filter(Filter("high", LAYER, weight=9, sublayer="fw"))
    engine.add_filter(Filter("other layer", "OUTBOUND_TRANSPORT_V4"))
    assert [f.name for f in engine.filters(LAYER)] == ["high", "low"]
    assert [f.name for f in engine.filters(sublayer="fw")] == ["high", "low"]
    assert [f.name for f in engine.filters(provider=prov.key)] == ["low"]
    with pytest.raises(InUseError):
        engine.delete_provider("Contoso")


def test_delete_unknown_filter() -> None:
    """Deleting a filter that does not exist -> FWP_E_FILTER_NOT_FOUND."""
    with pytest.raises(FilterNotFoundError, match="42"):
        Engine().delete_filter(42)


def test_registration_is_separate_from_adding() -> None:
    """A callout can be added but not registered, and registered twice is refused."""
    engine = Engine()
    c = engine.add_callout(Callout("c", LAYER))
    assert not engine.is_registered("c")
    cid = engine.register_callout(c.key, classify=lambda *a: None)
    assert cid == c.callout_id and engine.is_registered(c.key)
    with pytest.raises(AlreadyExistsError):
        engine.register_callout(c.key, classify=None)
    engine.unregister_callout(cid)
    assert not engine.is_registered("c")
    with pytest.raises(CalloutNotFoundError):
        engine.unregister_callout(cid)
