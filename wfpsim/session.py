"""Sessions and transactions: how objects get into and out of the BFE (``Fwpm*Add0``…).

Every call is a change the engine runs atomically (:meth:`Engine.change
<wfpsim.engine.Engine.change>`): a refused call leaves the engine, or the open transaction,
exactly as it was. A call outside an explicit transaction commits at once (an implicit
transaction); inside one, nothing is visible to classification until ``commit``.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from wfpsim.admission import (
    Lifetime,
    admit_filter,
    check_delete,
    new_lifetime,
    provider_for,
)
from wfpsim.errors import (
    ActionIncompatibleWithLayerError,
    AlreadyExistsError,
    BuiltinObjectError,
    CalloutNotificationFailedError,
    InUseError,
    InvalidParameterError,
    NoTxnInProgressError,
    SessionAbortedError,
    TxnInProgressError,
)
from wfpsim.objects import Callout, CalloutFlag, Filter, Provider, Sublayer, SublayerFlag
from wfpsim.registry import NotifyType
from wfpsim.store import ObjectKind, Store

if TYPE_CHECKING:
    from wfpsim.engine import Engine

Obj = TypeVar("Obj", Provider, Sublayer, Callout, Filter)

#: The order a closing dynamic session deletes its objects in (users before what they use).
_CLOSE_ORDER = (ObjectKind.FILTER, ObjectKind.CALLOUT, ObjectKind.SUBLAYER, ObjectKind.PROVIDER)


class Session:
    """``FwpmEngineOpen0``'s session: adds and deletes objects, owns transactions.

    Use :meth:`Engine.open_session`. A dynamic session's objects vanish when it closes.
    """

    def __init__(self, engine: Engine, key: uuid.UUID, name: str, dynamic: bool) -> None:
        self.engine = engine
        self.key = key
        self.name = name
        self.dynamic = dynamic
        self.closed = False
        self._post_commit: list[Filter] = []

    # transactions ---------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        """An explicit transaction is open."""
        return self.engine.bfe.transaction_holder is self

    def begin(self, read_only: bool = False) -> None:
        """``FwpmTransactionBegin0`` (``FWPM_TXN_READ_ONLY`` with ``read_only``)."""
        self._check_open()
        if self.in_transaction:
            raise TxnInProgressError(
                f"session {self.name!r} already has a transaction; commit or abort it first"
            )
        self.engine.bfe.begin_transaction(self, read_only)

    def commit(self) -> None:
        """``FwpmTransactionCommit0``: every successful call since begin takes effect."""
        self._check_txn("commit")
        self.engine.bfe.end_transaction(self, commit=True)
        self.flush_post_commit()

    def abort(self) -> None:
        """``FwpmTransactionAbort0``: nothing since begin takes effect (contexts included)."""
        self._check_txn("abort")
        self.engine.bfe.end_transaction(self, commit=False)
        self._post_commit.clear()

    @contextmanager
    def transaction(self, read_only: bool = False) -> Iterator[Session]:
        """``with session.transaction():`` commits on success, aborts on an exception."""
        self.begin(read_only)
        try:
            yield self
        except BaseException:
            if self.in_transaction:
                self.abort()
            raise
        self.commit()

    def _check_txn(self, verb: str) -> None:
        self._check_open()
        if not self.in_transaction:
            raise NoTxnInProgressError(f"{verb}: session {self.name!r} has no open transaction")

    def _check_open(self) -> None:
        if self.closed:
            raise SessionAbortedError(f"session {self.name!r} is closed; open a new one")

    def flush_post_commit(self) -> None:
        """Send ``ADD_FILTER_POST_COMMIT`` for the filters this session just committed."""
        pending, self._post_commit = self._post_commit, []
        for flt in pending:
            kept = self.engine.store.filters.get(flt.filter_id)
            if kept is None or kept.key != flt.key:
                continue  # added and deleted again inside the transaction: never committed
            self.engine.bfe.notify(NotifyType.ADD_FILTER_POST_COMMIT, flt, only_flag=True)

    # helpers --------------------------------------------------------------------------
    def _own(self, store: Store, kind: ObjectKind, key: uuid.UUID) -> None:
        if self.dynamic:
            store.put("owners", (kind, key), self.key)

    def _with_key(self, obj: Obj, kind: str) -> Obj:
        """``obj`` itself, or with the key BFE generates when it has none."""
        if obj.key.int:
            return obj
        return replace(obj, key=self.engine.bfe.new_key(self, kind, obj))

    def _lifetime(self, persistent: bool) -> Lifetime:
        return new_lifetime(self.dynamic, persistent)

    # providers ------------------------------------------------------------------------
    def add_provider(self, provider: Provider) -> Provider:
        """``FwpmProviderAdd0``."""
        _require(provider, Provider, "provider")
        with self.engine.bfe.change(self) as store:
            provider = self._with_key(provider, "provider")
            if provider.key in store.providers:
                raise AlreadyExistsError(f"provider {{{provider.key}}} already exists")
            store.put("providers", provider.key, provider)
            self._own(store, ObjectKind.PROVIDER, provider.key)
        return provider

    def delete_provider(self, ref: uuid.UUID | str) -> None:
        """``FwpmProviderDeleteByKey0``."""
        with self.engine.bfe.change(self) as store:
            p = store.find_provider(ref)
            users = [s.name for s in store.sublayers.values() if s.provider == p.key]
            users += [c.name for c in store.callouts.values() if c.provider == p.key]
            users += [f.name for f in store.filters.values() if f.provider == p.key]
            if users:
                raise InUseError(f"provider {p.name!r} is used by {', '.join(users[:5])}")
            check_delete(store, self.key, self.dynamic, ObjectKind.PROVIDER, p.key, repr(p.name))
            store.drop("providers", p.key)
            store.drop("owners", (ObjectKind.PROVIDER, p.key))

    # sublayers ------------------------------------------------------------------------
    def add_sublayer(self, sublayer: Sublayer) -> Sublayer:
        """``FwpmSubLayerAdd0``."""
        _require(sublayer, Sublayer, "sublayer")
        with self.engine.bfe.change(self) as store:
            sub = sublayer
            sub = self._with_key(sub, "sublayer")
            if sub.builtin:
                raise BuiltinObjectError(f"{sub.name} is built in; it cannot be added")
            if sub.key in store.sublayers:
                raise AlreadyExistsError(f"sublayer {{{sub.key}}} ({sub.name}) already exists")
            mine = self._lifetime(bool(sub.flags & SublayerFlag.PERSISTENT))
            p = provider_for(store, sub.provider, sub.provider_name, self.key, mine)
            if p is not None:
                sub = replace(sub, provider=p.key, provider_name=p.name)
            store.add_sublayer(sub)
            self._own(store, ObjectKind.SUBLAYER, sub.key)
        return sub

    def delete_sublayer(self, ref: uuid.UUID | str) -> None:
        """``FwpmSubLayerDeleteByKey0``."""
        with self.engine.bfe.change(self) as store:
            sub = store.find_sublayer(ref)
            if sub.builtin:
                raise BuiltinObjectError(f"{sub.name} is built in; it cannot be deleted")
            held = store.holds_filters(sub.key)
            if held:
                users = [f.name for f in store.filters.values() if f.sublayer == sub.key]
                raise InUseError(
                    f"sublayer {sub.name!r} still holds {held} filter(s) "
                    f"({', '.join(repr(n) for n in users[:3])}); delete them first"
                )
            check_delete(
                store,
                self.key,
                self.dynamic,
                ObjectKind.SUBLAYER,
                sub.key,
                f"sublayer {sub.name!r}",
            )
            store.drop("sublayers", sub.key)
            store.drop("owners", (ObjectKind.SUBLAYER, sub.key))

    # callouts -------------------------------------------------------------------------
    def add_callout(self, callout: Callout) -> Callout:
        """``FwpmCalloutAdd0``: returns the callout with its run-time callout id."""
        _require(callout, Callout, "callout")
        with self.engine.bfe.change(self) as store:
            callout = self._with_key(callout, "callout")
            if callout.key in store.callouts:
                raise AlreadyExistsError(f"callout {{{callout.key}}} ({callout.name}) exists")
            if not callout.layer.accepts_callouts:
                raise ActionIncompatibleWithLayerError(
                    f"{callout.layer.short_name} is a user-mode layer; callouts run only at "
                    "kernel layers"
                )
            mine = self._lifetime(bool(callout.flags & CalloutFlag.PERSISTENT))
            p = provider_for(store, callout.provider, callout.provider_name, self.key, mine)
            stored = replace(
                callout,
                callout_id=self.engine.kernel.registry.callout_id(callout.key),
                provider=p.key if p else None,
                provider_name=p.name if p else "",
            )
            store.put("callouts", stored.key, stored)
            self._own(store, ObjectKind.CALLOUT, stored.key)
        return stored

    def delete_callout(self, ref: uuid.UUID | str | int) -> None:
        """``FwpmCalloutDeleteByKey0`` / ``ById0``."""
        with self.engine.bfe.change(self) as store:
            c = store.find_callout(ref)
            users = [f for f in store.filters.values() if f.callout == c.key]
            if users:
                raise InUseError(
                    f"callout {c.name!r} is used by {len(users)} filter(s) "
                    f"({', '.join(repr(f.name) for f in users[:3])}); delete them first"
                )
            check_delete(
                store, self.key, self.dynamic, ObjectKind.CALLOUT, c.key, f"callout {c.name!r}"
            )
            store.drop("callouts", c.key)
            store.drop("owners", (ObjectKind.CALLOUT, c.key))

    # filters --------------------------------------------------------------------------
    def add_filter(self, flt: Filter) -> Filter:
        """``FwpmFilterAdd0``: returns the stored filter with its id and effective weight.

        A callout filter's notifyFn gets ``ADD_FILTER`` first; if it fails (or raises), the
        add fails with ``FWP_E_CALLOUT_NOTIFICATION_FAILED`` and nothing changes.
        """
        _require(flt, Filter, "filter")
        with self.engine.bfe.change(self) as store:
            key = flt.key if flt.key.int else self.engine.bfe.new_key(self, "filter", flt)
            stored = admit_filter(store, flt, self.key, self.dynamic, key)
            call = self.engine.bfe.notify(NotifyType.ADD_FILTER, stored)
            if call is not None and not call.ok:
                why = call.fault or f"status 0x{call.status:08X}"
                raise CalloutNotificationFailedError(
                    f"callout {call.callout!r} notifyFn rejected filter {stored.name!r} "
                    f"(ADD_FILTER): {why}"
                )
            store.add_filter(stored)
            self._own(store, ObjectKind.FILTER, stored.key)
            self._post_commit.append(stored)
        return stored

    def add_filters(self, filters: Iterable[Filter]) -> list[Filter]:
        """Add many filters (``FwpmFilterAdd0`` each) in one transaction; returns them stored.

        Outside a transaction, one is begun and committed here: all the filters are added or,
        on the first error, none (the transaction is aborted and the error raised). Inside the
        session's open transaction, the calls join it, as separate ``add_filter`` calls would.
        The cyclic garbage collector waits meanwhile: a large policy makes hundreds of thousands
        of objects and no cyclic garbage, and walking them again and again was a quarter of
        the time of 100,000 adds.
        """
        own = not self.in_transaction
        paused = gc.isenabled()
        gc.disable()
        try:
            if own:
                self.begin()
            try:
                stored = [self.add_filter(flt) for flt in filters]
            except BaseException:
                if own and self.in_transaction:
                    self.abort()
                raise
            if own:
                self.commit()
            return stored
        finally:
            if paused:
                gc.enable()

    def delete_filter(self, ref: int | uuid.UUID | str) -> None:
        """``FwpmFilterDeleteById0`` / ``ByKey0`` (a notifyFn error does not stop it)."""
        if ref is None or isinstance(ref, bool) or not isinstance(ref, (int, str, uuid.UUID)):
            raise InvalidParameterError(
                f"delete_filter: {ref!r} is not a filter id (int), key (GUID) or name (text)"
            )
        with self.engine.bfe.change(self) as store:
            flt = store.find_filter(ref)
            check_delete(
                store, self.key, self.dynamic, ObjectKind.FILTER, flt.key, f"filter {flt.name!r}"
            )
            self.engine.bfe.notify(NotifyType.DELETE_FILTER, flt)
            store.delete_filter(flt)
            store.drop("owners", (ObjectKind.FILTER, flt.key))

    # lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """``FwpmEngineClose0``: abort an open transaction; a dynamic session's objects go.

        Raises:
            TxnTimeoutError: another session holds the transaction lock, so the deletes a
                dynamic session's close makes would wait for it (the session stays open).
        """
        if self.closed:
            return
        if self.in_transaction:
            self.abort()
        if self.dynamic:
            with self.engine.bfe.change(self) as store:
                mine = [k for k, owner in store.owners.items() if owner == self.key]
                for kind in _CLOSE_ORDER:
                    for _, key in (k for k in mine if k[0] == kind):
                        self._forget(store, kind, key)
            self.closed = True
        self.engine.forget_session(self)

    def _forget(self, store: Store, kind: ObjectKind, key: uuid.UUID) -> None:
        store.drop("owners", (kind, key))
        if kind == ObjectKind.FILTER:
            flt = store.filters[store.filter_keys[key]]
            self.engine.bfe.notify(NotifyType.DELETE_FILTER, flt)
            store.delete_filter(flt)
        else:
            table = {
                ObjectKind.CALLOUT: "callouts",
                ObjectKind.SUBLAYER: "sublayers",
                ObjectKind.PROVIDER: "providers",
            }[kind]
            store.drop(table, key)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "dynamic" if self.dynamic else "static"
        return f"<Session {self.name!r} {kind}{' closed' if self.closed else ''}>"


def _require(value: object, kind: type, what: str) -> None:
    if not isinstance(value, kind):
        raise InvalidParameterError(
            f"add_{what} takes a {kind.__name__}(…), not {type(value).__name__} {value!r}"
        )


__all__ = ["Session"]
