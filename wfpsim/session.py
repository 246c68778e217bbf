"""Sessions and transactions: how objects get into and out of the BFE (``Fwpm*Add0``…).

Every call runs on a copy of the store and replaces it only when the call succeeded, so a
failed call leaves the engine (or the open transaction) as it was. Calls outside an
explicit transaction run in an implicit one.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from wfpsim.admission import admit_filter, check_delete, check_reference
from wfpsim.errors import (
    ActionIncompatibleWithLayerError,
    AlreadyExistsError,
    BuiltinObjectError,
    CalloutNotificationFailedError,
    IncompatibleTxnError,
    InUseError,
    NoTxnInProgressError,
    SessionAbortedError,
    TxnInProgressError,
    TxnTimeoutError,
)
from wfpsim.objects import (
    Callout,
    Filter,
    Provider,
    ProviderFlag,
    Sublayer,
    SublayerFlag,
)
from wfpsim.registry import CalloutRegisterFlag, NotifyType
from wfpsim.store import Snapshot

if TYPE_CHECKING:
    from wfpsim.engine import Engine

T = TypeVar("T")
_NAMESPACE = uuid.UUID("6d9b7c52-5a0e-4f8e-9d1c-3f5c2a1b7e40")


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
        self._txn: Snapshot | None = None
        self._txn_read_only = False
        self._post_commit: list[Filter] = []
        self._keys = itertools.count(1)

    # transactions ---------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        """An explicit transaction is open."""
        return self._txn is not None

    def begin(self, read_only: bool = False) -> None:
        """``FwpmTransactionBegin0`` (``FWPM_TXN_READ_ONLY`` with ``read_only``)."""
        self._check_open()
        if self._txn is not None:
            raise TxnInProgressError(
                f"session {self.name!r} already has a transaction; commit or abort it first"
            )
        holder = self.engine._txn_holder
        if holder is not None and holder is not self:
            raise TxnTimeoutError(
                f"session {holder.name!r} holds the BFE transaction lock; begin timed out"
            )
        self._txn = self.engine._state.copy()
        self._txn_read_only = read_only
        self.engine._txn_holder = self

    def commit(self) -> None:
        """``FwpmTransactionCommit0``: every successful call since begin takes effect."""
        snap = self._end_txn("commit")
        self.engine._state = snap
        self._flush_post_commit()

    def abort(self) -> None:
        """``FwpmTransactionAbort0``: nothing since begin takes effect."""
        self._end_txn("abort")
        self._post_commit.clear()

    @contextmanager
    def transaction(self, read_only: bool = False) -> Iterator[Session]:
        """``with session.transaction():`` commits on success, aborts on an exception."""
        self.begin(read_only)
        try:
            yield self
        except BaseException:
            if self._txn is not None:
                self.abort()
            raise
        self.commit()

    def _end_txn(self, verb: str) -> Snapshot:
        self._check_open()
        if self._txn is None:
            raise NoTxnInProgressError(f"{verb}: session {self.name!r} has no open transaction")
        snap = self._txn
        self._txn = None
        self.engine._txn_holder = None
        return snap

    def _check_open(self) -> None:
        if self.closed:
            raise SessionAbortedError(f"session {self.name!r} is closed; open a new one")

    def _apply(self, change: Callable[[Snapshot], T]) -> T:
        """Run ``change`` on a copy; keep the copy only if it succeeds."""
        self._check_open()
        if self._txn is not None and self._txn_read_only:
            raise IncompatibleTxnError("add/delete is not allowed in a read-only transaction")
        holder = self.engine._txn_holder
        if self._txn is None and holder is not None:
            raise TxnTimeoutError(f"session {holder.name!r} holds the BFE transaction lock")
        base = self._txn if self._txn is not None else self.engine._state
        work = base.copy()
        result = change(work)
        if self._txn is not None:
            self._txn = work
        else:
            self.engine._state = work
            self._flush_post_commit()
        return result

    def _flush_post_commit(self) -> None:
        pending, self._post_commit = self._post_commit, []
        committed = self.engine._state.filters
        for flt in pending:
            kept = committed.get(flt.filter_id)
            if kept is None or kept.key != flt.key:
                continue  # added and deleted again inside the transaction: never committed
            self.engine._notify(NotifyType.ADD_FILTER_POST_COMMIT, flt, only_flag=True)

    # helpers --------------------------------------------------------------------------
    def _new_key(self, kind: str, name: str) -> uuid.UUID:
        """A deterministic key for an object added with none ("BFE generates")."""
        return uuid.uuid5(
            _NAMESPACE, f"{self.engine._key_seed}:{self.key}:{kind}:{name}:{next(self._keys)}"
        )

    def _own(self, snap: Snapshot, kind: str, key: uuid.UUID) -> None:
        if self.dynamic:
            snap.owners[(kind, key)] = self.key

    # providers ------------------------------------------------------------------------
    def add_provider(self, provider: Provider) -> Provider:
        """``FwpmProviderAdd0``."""

        def change(snap: Snapshot) -> Provider:
            nonlocal provider
            if not provider.key.int:
                provider = replace(provider, key=self._new_key("provider", provider.name))
            if provider.key in snap.providers:
                raise AlreadyExistsError(f"provider {{{provider.key}}} already exists")
            snap.providers[provider.key] = provider
            self._own(snap, "provider", provider.key)
            return provider

        return self._apply(change)

    def delete_provider(self, ref: uuid.UUID | str) -> None:
        """``FwpmProviderDeleteByKey0``."""

        def change(snap: Snapshot) -> None:
            p = snap.find_provider(ref)
            users = [s.name for s in snap.sublayers.values() if s.provider == p.key]
            users += [c.name for c in snap.callouts.values() if c.provider == p.key]
            users += [f.name for f in snap.filters.values() if f.provider == p.key]
            if users:
                raise InUseError(f"provider {p.name!r} is used by {', '.join(users[:5])}")
            check_delete(snap, self.key, self.dynamic, "provider", p.key, f"provider {p.name!r}")
            del snap.providers[p.key]
            snap.owners.pop(("provider", p.key), None)

        self._apply(change)

    # sublayers ------------------------------------------------------------------------
    def add_sublayer(self, sublayer: Sublayer) -> Sublayer:
        """``FwpmSubLayerAdd0``."""

        def change(snap: Snapshot) -> Sublayer:
            sub = sublayer
            if not sub.key.int:
                sub = replace(sub, key=self._new_key("sublayer", sub.name))
            if sub.builtin:
                raise BuiltinObjectError(f"{sub.name} is built in; it cannot be added")
            if sub.key in snap.sublayers:
                raise AlreadyExistsError(f"sublayer {{{sub.key}}} ({sub.name}) already exists")
            if sub.provider is not None:
                p = snap.find_provider(sub.provider)
                persistent = bool(sub.flags & SublayerFlag.PERSISTENT)
                mine = "dynamic" if self.dynamic else "persistent" if persistent else "static"
                check_reference(
                    snap,
                    self.key,
                    mine,
                    "provider",
                    p.key,
                    bool(p.flags & ProviderFlag.PERSISTENT),
                    f"provider {p.name!r}",
                )
            snap.add_sublayer(sub)
            self._own(snap, "sublayer", sub.key)
            return sub

        return self._apply(change)

    def delete_sublayer(self, ref: uuid.UUID | str) -> None:
        """``FwpmSubLayerDeleteByKey0``."""

        def change(snap: Snapshot) -> None:
            sub = snap.find_sublayer(ref)
            if sub.builtin:
                raise BuiltinObjectError(f"{sub.name} is built in; it cannot be deleted")
            users = [f for f in snap.filters.values() if f.sublayer == sub.key]
            if users:
                raise InUseError(
                    f"sublayer {sub.name!r} still holds {len(users)} filter(s) "
                    f"({', '.join(repr(f.name) for f in users[:3])}); delete them first"
                )
            check_delete(
                snap, self.key, self.dynamic, "sublayer", sub.key, f"sublayer {sub.name!r}"
            )
            snap.remove_sublayer(sub.key)
            snap.owners.pop(("sublayer", sub.key), None)

        self._apply(change)

    # callouts -------------------------------------------------------------------------
    def add_callout(self, callout: Callout) -> Callout:
        """``FwpmCalloutAdd0``: returns the callout with its run-time callout id."""

        def change(snap: Snapshot) -> Callout:
            nonlocal callout
            if not callout.key.int:
                callout = replace(callout, key=self._new_key("callout", callout.name))
            if callout.key in snap.callouts:
                raise AlreadyExistsError(f"callout {{{callout.key}}} ({callout.name}) exists")
            layer = callout.applicable_layer
            if not layer.accepts_callouts:
                raise ActionIncompatibleWithLayerError(
                    f"{layer.short_name} is a user-mode layer; callouts run only at kernel layers"
                )
            cid = self.engine.registry.callout_id(callout.key)
            stored = replace(callout, callout_id=cid)
            snap.callouts[callout.key] = stored
            self._own(snap, "callout", callout.key)
            return stored

        return self._apply(change)

    def delete_callout(self, ref: uuid.UUID | str | int) -> None:
        """``FwpmCalloutDeleteByKey0`` / ``ById0``."""

        def change(snap: Snapshot) -> None:
            c = snap.find_callout(ref)
            users = [f for f in snap.filters.values() if f.callout == c.key]
            if users:
                raise InUseError(
                    f"callout {c.name!r} is used by {len(users)} filter(s) "
                    f"({', '.join(repr(f.name) for f in users[:3])}); delete them first"
                )
            check_delete(snap, self.key, self.dynamic, "callout", c.key, f"callout {c.name!r}")
            del snap.callouts[c.key]
            snap.owners.pop(("callout", c.key), None)

        self._apply(change)

    # filters --------------------------------------------------------------------------
    def add_filter(self, flt: Filter) -> Filter:
        """``FwpmFilterAdd0``: returns the stored filter with its id and effective weight."""

        def change(snap: Snapshot) -> Filter:
            key = flt.key if flt.key.int else self._new_key("filter", flt.name)
            stored = admit_filter(snap, replace(flt, key=key), self.key, self.dynamic)
            if self.engine._notify(NotifyType.ADD_FILTER, stored) is False:
                raise CalloutNotificationFailedError(
                    f"callout's notifyFn rejected filter {stored.name!r} (ADD_FILTER)"
                )
            snap.filters[stored.filter_id] = stored
            snap.filter_keys[stored.key] = stored.filter_id
            snap.bump(stored.layer_)
            snap.next_filter_id = max(snap.next_filter_id, stored.filter_id) + 1
            self._own(snap, "filter", stored.key)
            self._post_commit.append(stored)
            return stored

        return self._apply(change)

    def delete_filter(self, ref: int | uuid.UUID | str) -> None:
        """``FwpmFilterDeleteById0`` / ``ByKey0`` (a notifyFn error does not stop it)."""

        def change(snap: Snapshot) -> None:
            flt = snap.find_filter(ref)
            check_delete(snap, self.key, self.dynamic, "filter", flt.key, f"filter {flt.name!r}")
            del snap.filters[flt.filter_id]
            del snap.filter_keys[flt.key]
            snap.bump(flt.layer_)
            snap.owners.pop(("filter", flt.key), None)
            self.engine._notify(NotifyType.DELETE_FILTER, flt)

        self._apply(change)

    # lifetime -------------------------------------------------------------------------
    def close(self) -> None:
        """``FwpmEngineClose0``: abort an open transaction; a dynamic session's objects go."""
        if self.closed:
            return
        if self._txn is not None:
            self.abort()
        if self.dynamic:
            snap = self.engine._state.copy()
            mine = [k for k, owner in snap.owners.items() if owner == self.key]
            for kind in ("filter", "callout", "sublayer", "provider"):
                for _, key in (k for k in mine if k[0] == kind):
                    snap.owners.pop((kind, key))
                    if kind == "filter":
                        flt = snap.filters.pop(snap.filter_keys.pop(key))
                        snap.bump(flt.layer_)
                        self.engine._notify(NotifyType.DELETE_FILTER, flt)
                    elif kind == "callout":
                        del snap.callouts[key]
                    elif kind == "sublayer":
                        snap.remove_sublayer(key)
                    else:
                        del snap.providers[key]
            self.engine._state = snap
        self.closed = True
        self.engine._sessions.pop(self.key, None)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        kind = "dynamic" if self.dynamic else "static"
        return f"<Session {self.name!r} {kind}{' closed' if self.closed else ''}>"


__all__ = ["CalloutRegisterFlag", "Session"]
