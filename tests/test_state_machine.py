"""A Hypothesis state machine over sessions, transactions and notify callouts with contexts.

The oracle is a model the engine did not write: which filters each session has committed or
has pending, and which contexts their callouts' notifyFn set. After every step the engine's
committed filters and contexts must equal the model's; a refused call or an abort must leave
every observable thing (ids, keys, contexts, counts, sublayers, policy versions) as it was,
and the logs may only have grown by the notifyFn calls the refused call really made.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    precondition,
    rule,
)

from wfpsim import Callout, Engine, Filter, NotifyType, Session, Sublayer, layer
from wfpsim.errors import WfpError

LAYER = "ALE_AUTH_CONNECT_V4"
CONTEXT = 0x5EED

#: what a filter's name tells the notifyFn to do: set a context, refuse, raise, accept
KINDS = ["ctx", "reject", "raise", "plain", "static"]


def observe(engine: Engine) -> dict[str, Any]:
    """Everything a refused call or an abort must leave unchanged."""
    store = engine.store
    return {
        "filters": {
            f.filter_id: (f.key, f.name, f.sublayer, f.effective_weight, f.flags)
            for f in engine.filters()
        },
        "contexts": engine.kernel_filter_contexts,
        "sublayers": [(s.key, s.name, s.weight) for s in engine.sublayers()],
        "callouts": [(c.key, c.callout_id) for c in engine.callouts()],
        "version": engine.policy_version(LAYER),
        "next_id": store.next_filter_id,
        "next_key": store.next_key,
        "owners": dict(store.owners),
        "counts": repr(engine),
    }


@dataclass
class Model:
    """The oracle: committed filters by key and what each open transaction has pending."""

    committed: dict[uuid.UUID, str] = field(default_factory=dict)
    pending: dict[uuid.UUID, str | None] = field(default_factory=dict)
    owner: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)


class Transactions(RuleBasedStateMachine):
    """Sessions add and delete filters (some with notify callouts) in and out of transactions."""

    sessions = Bundle("sessions")

    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine()
        self.model = Model()
        self.holder: Session | None = None
        self.at_begin: dict[str, Any] = {}
        self.names = 0

    @initialize(target=sessions)
    def setup(self) -> Session:
        def notify(kind: NotifyType, key: object, flt: Any) -> int:
            if kind != NotifyType.ADD_FILTER:
                return 0
            if flt.name.startswith("reject"):
                return 0xC0000001
            if flt.name.startswith("raise"):
                raise RuntimeError("notifyFn bug")
            if flt.name.startswith("ctx"):
                flt.context = CONTEXT
            return 0

        self.engine.add_callout(Callout("c", LAYER))
        self.engine.register_callout("c", lambda *a: None, notify=notify)
        self.engine.add_sublayer(Sublayer("mine", 0x100))
        return self.engine.open_session("static")

    # helpers ---------------------------------------------------------------------------
    def visible(self) -> dict[uuid.UUID, str]:
        return dict(self.model.committed)

    def refused(self, call: Any) -> None:
        """Run a call the engine must refuse, and check it left everything as it was."""
        before = observe(self.engine)
        notes = list(self.engine.notifications)
        log = list(self.engine.debug_log)
        live = self._live()
        try:
            call()
        except WfpError:
            pass
        else:
            raise AssertionError("the call was expected to be refused")
        assert observe(self.engine) == before
        assert self._live() == live
        assert self.engine.debug_log == log
        assert self.engine.notifications[: len(notes)] == notes
        for extra in self.engine.notifications[len(notes) :]:
            assert extra.kind == NotifyType.ADD_FILTER and not extra.ok

    def _live(self) -> Any:
        live = self.engine.bfe.live
        return (
            sorted((f.filter_id, f.key) for f in live.filters.values()),
            dict(live.contexts),
            live.next_filter_id,
            live.next_key,
        )

    def may_change(self, session: Session) -> bool:
        return not session.closed and self.holder in (None, session)

    # rules -------------------------------------------------------------------------------
    @rule(target=sessions, dynamic=st.booleans())
    def open_session(self, dynamic: bool) -> Session:
        return self.engine.open_session("dyn" if dynamic else "static", dynamic=dynamic)

    @rule(session=consumes(sessions))
    def close(self, session: Session) -> None:
        if session.closed or (self.holder not in (None, session)):
            return
        if self.holder is session:
            self.abort_model()
        session.close()
        if session.dynamic:
            for key, owner in list(self.model.owner.items()):
                if owner == session.key:
                    self.model.committed.pop(key, None)
                    del self.model.owner[key]

    @rule(session=sessions, read_only=st.sampled_from([False, False, False, True]))
    def begin(self, session: Session, read_only: bool) -> None:
        if session.closed:
            return
        if self.holder is not None:
            self.refused(lambda: session.begin(read_only))
            return
        self.at_begin = observe(self.engine)
        session.begin(read_only)
        self.holder = session
        self.read_only = read_only

    @precondition(lambda self: self.holder is not None)
    @rule(commit=st.booleans())
    def end(self, commit: bool) -> None:
        session = self.holder
        assert session is not None
        if commit:
            session.commit()
            for key, name in self.model.pending.items():
                if name is None:
                    self.model.committed.pop(key, None)
                else:
                    self.model.committed[key] = name
            self.model.pending.clear()
            self.holder = None
        else:
            logs = (list(self.engine.notifications), list(self.engine.debug_log))
            session.abort()
            self.abort_model()
            assert observe(self.engine) == self.at_begin
            assert (list(self.engine.notifications), list(self.engine.debug_log)) == logs

    def abort_model(self) -> None:
        for key in [k for k, n in self.model.pending.items() if n is not None]:
            self.model.owner.pop(key, None)
        self.model.pending.clear()
        self.holder = None

    @rule(session=sessions, kind=st.sampled_from(KINDS), in_mine=st.booleans())
    def add_filter(self, session: Session, kind: str, in_mine: bool) -> None:
        self.names += 1
        name = f"{kind} {self.names}"
        callout = None if kind == "static" else "c"
        action = "BLOCK" if kind == "static" else "CALLOUT_INSPECTION"
        sublayer = "mine" if in_mine else None
        flt = Filter(name, LAYER, action, sublayer=sublayer, callout=callout)
        refuse = (
            session.closed
            or self.holder not in (None, session)
            or (self.holder is session and self.read_only)
            or kind in ("reject", "raise")
        )
        if refuse:
            self.refused(lambda: session.add_filter(flt))
            return
        stored = session.add_filter(flt)
        if session.dynamic:
            self.model.owner[stored.key] = session.key
        if self.holder is session:
            self.model.pending[stored.key] = name
        else:
            self.model.committed[stored.key] = name

    @precondition(lambda self: self.holder is not None)
    @rule(kind=st.sampled_from(KINDS), in_mine=st.booleans())
    def add_in_transaction(self, kind: str, in_mine: bool) -> None:
        """The transaction's holder adds a filter (so transactions have something to undo)."""
        assert self.holder is not None
        self.add_filter(self.holder, kind, in_mine)

    @precondition(lambda self: self.holder is not None)
    @rule(data=st.data())
    def delete_in_transaction(self, data: st.DataObject) -> None:
        """The transaction's holder deletes a filter (committed before, or added in it)."""
        assert self.holder is not None
        live = sorted(self.engine.bfe.live.filters)
        if live:
            self.delete_filter(self.holder, data, data.draw(st.sampled_from(live)))

    @rule(session=sessions, data=st.data())
    def delete_filter(
        self, session: Session, data: st.DataObject, filter_id: int | None = None
    ) -> None:
        live = self.engine.bfe.live.filters
        if filter_id is None:
            filter_id = data.draw(st.sampled_from([*sorted(live), 10_000]))
        target = live.get(filter_id)
        owner = self.model.owner.get(target.key) if target else None
        me = session.key
        allowed = (
            target is not None
            and self.may_change(session)
            and not (self.holder is session and self.read_only)
            and (owner is None or owner == me)
            and not (session.dynamic and owner is None)
        )
        if not allowed:
            self.refused(lambda: session.delete_filter(filter_id))
            return
        assert target is not None
        session.delete_filter(filter_id)
        if self.holder is session:
            self.model.pending[target.key] = None
        else:
            self.model.committed.pop(target.key, None)
            self.model.owner.pop(target.key, None)

    @rule(session=sessions)
    def refused_duplicate_key(self, session: Session) -> None:
        """Adding a filter whose key exists is refused and changes nothing."""
        live = self.engine.bfe.live.filters
        if not live or not self.may_change(session):
            return
        key = next(iter(live.values())).key
        self.refused(lambda: session.add_filter(Filter("dup", LAYER, "BLOCK", key=key)))

    @rule()
    def refused_delete_of_used_sublayer(self) -> None:
        """Deleting a sublayer that holds filters is refused and changes nothing."""
        used = any(f.sublayer_name == "mine" for f in self.engine.bfe.live.filters.values())
        if used and self.holder is None:
            self.refused(lambda: self.engine.delete_sublayer("mine"))

    # the oracle ---------------------------------------------------------------------------
    @invariant()
    def committed_filters_match_the_model(self) -> None:
        names = {f.key: f.name for f in self.engine.filters()}
        assert names == self.visible()

    @invariant()
    def contexts_belong_to_committed_context_filters(self) -> None:
        expected = {f.filter_id: CONTEXT for f in self.engine.filters() if f.name.startswith("ctx")}
        assert self.engine.kernel_filter_contexts == expected

    @invariant()
    def classification_sees_exactly_the_committed_filters(self) -> None:
        ids = sorted(f.filter_id for f in self.engine.store.filters_on(layer(LAYER).id or 0))
        assert ids == sorted(f.filter_id for f in self.engine.filters(LAYER))


Transactions.TestCase.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)
test_transactions = Transactions.TestCase
