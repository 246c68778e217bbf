"""BFE's side of an engine: the store, the transaction lock, and changes made under it.

Sessions change the store only through :meth:`Bfe.change`, which runs a call atomically and
commits it at once outside an explicit transaction; :meth:`Bfe.committed` is what
classification and the engine's queries read.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from wfpsim.callouts import KernelFilter
from wfpsim.errors import IncompatibleTxnError, TxnTimeoutError
from wfpsim.ids import STATUS_UNSUCCESSFUL
from wfpsim.kernel import Kernel, NotifyCall
from wfpsim.objects import Callout, Filter, Provider, Sublayer
from wfpsim.registry import CalloutRegisterFlag, NotifyType
from wfpsim.store import Store

if TYPE_CHECKING:
    from wfpsim.session import Session

_NAMESPACE = uuid.UUID("6d9b7c52-5a0e-4f8e-9d1c-3f5c2a1b7e40")
_NAMESPACE_BYTES = _NAMESPACE.bytes


class Bfe:
    """The Base Filtering Engine service: one store, one transaction lock."""

    def __init__(self, kernel: Kernel, key_seed: str) -> None:
        self._store = Store.with_builtins()
        self._kernel = kernel
        self._txn_holder: Session | None = None
        self._txn_read_only = False
        self._changing = False
        self.key_seed = key_seed
        #: session key -> the start of the names generated keys are made from
        self._prefixes: dict[uuid.UUID, str] = {}

    def committed(self) -> Store:
        """The committed store (what classification sees); read it, never change it."""
        return self._store.committed()

    @property
    def live(self) -> Store:
        """The store with the open transaction's changes (what the transaction sees)."""
        return self._store

    @property
    def transaction_holder(self) -> Session | None:
        """The session whose explicit transaction holds BFE's lock, if any."""
        return self._txn_holder

    def begin_transaction(self, session: Session, read_only: bool) -> None:
        """Take the transaction lock for ``session`` (``FwpmTransactionBegin0``).

        Raises:
            TxnTimeoutError: another session holds it, or a notifyFn asks mid-change.
        """
        self._check_lock(session, "begin")
        self._txn_holder = session
        self._txn_read_only = read_only

    def end_transaction(self, session: Session, commit: bool) -> None:
        """Commit (every change since begin stays) or abort (all are undone, contexts too)."""
        if self._txn_holder is not session:
            return
        if self._changing:
            raise TxnTimeoutError(
                "commit/abort from inside a notifyFn: BFE is in the middle of a change"
            )
        if commit:
            self._store.settle()
        else:
            self._store.rollback()
        self._txn_holder = None
        self._txn_read_only = False

    @contextmanager
    def change(self, session: Session) -> Iterator[Store]:
        """Run one call's change on the store: all of it happens, or (on an error) none.

        Outside an explicit transaction the change commits at once and callouts registered
        with ``ENABLE_COMMIT_ADD_NOTIFY`` get ``ADD_FILTER_POST_COMMIT``.

        Raises:
            SessionAbortedError: the session is closed.
            IncompatibleTxnError: the session's transaction is read-only.
            TxnTimeoutError: another session holds the transaction lock, or the call comes
                from a notifyFn while BFE is in the middle of a change (**our choice**: BFE holds
                its lock while it notifies, so the real call would wait until it times out;
                we refuse it at once with the same FWP_E_TIMEOUT rather than lose it).
        """
        session._check_open()
        self._check_lock(session, "change")
        if self._txn_holder is session and self._txn_read_only:
            raise IncompatibleTxnError("add/delete is not allowed in a read-only transaction")
        store = self._store
        mark = store.mark
        self._changing = True
        try:
            yield store
        except BaseException:
            store.rollback(mark)  # what Store.atomic does, without a second context manager
            raise
        finally:
            self._changing = False
        if self._txn_holder is None:
            self._store.settle()
            session.flush_post_commit()

    def _check_lock(self, session: Session, verb: str) -> None:
        if self._changing:
            raise TxnTimeoutError(
                f"{verb} refused: BFE is in the middle of a change (a call from inside a "
                "notifyFn); the real call would wait for BFE's lock until it timed out"
            )
        holder = self._txn_holder
        if holder is not None and holder is not session:
            raise TxnTimeoutError(
                f"session {holder.name!r} holds the BFE transaction lock; {verb} timed out"
            )

    def new_key(
        self, session: Session, kind: str, obj: Provider | Sublayer | Callout | Filter
    ) -> uuid.UUID:
        """A deterministic key for an object added without one ("BFE generates it")."""
        number = self._store.next_key
        self._store.count_key()
        prefix = self._prefixes.get(session.key)
        if prefix is None:
            prefix = self._prefixes[session.key] = f"{self.key_seed}:{session.key}:"
        # uuid.uuid5(_NAMESPACE, name), with the namespace's bytes computed once
        name = f"{prefix}{kind}:{obj.name}:{number}".encode()
        digest = hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()
        return uuid.UUID(bytes=digest[:16], version=5)

    def notify(self, kind: NotifyType, flt: Filter, only_flag: bool = False) -> NotifyCall | None:
        """Call the notifyFn of the filter's callout, if registered; None when none was called.

        On ``ADD_FILTER`` the notifyFn may set ``filter.context`` (an integer); the store keeps
        it with the filter, so an abort takes it back with the filter.
        """
        reg = self._kernel.registry.get(flt.callout) if flt.callout is not None else None
        if reg is None or reg.notify is None:
            return None
        if only_flag and not reg.flags & CalloutRegisterFlag.ENABLE_COMMIT_ADD_NOTIFY:
            return None
        store = self._store
        sub = store.sublayers.get(flt.sublayer) if flt.sublayer is not None else None
        context = store.context(flt.filter_id)
        kfilter = KernelFilter.from_filter(flt, sub.weight if sub else 0, reg.callout_id, context)
        key = None if kind == NotifyType.DELETE_FILTER else flt.key
        name = flt.callout_name or str(flt.callout)
        changing, self._changing = self._changing, True
        try:
            call = self._kernel.notify(reg, kind, key, kfilter, name)
        finally:
            self._changing = changing
        written = kfilter.context
        if kind == NotifyType.ADD_FILTER and call.ok and written != flt.raw_context:
            if isinstance(written, bool) or not isinstance(written, int):
                return self._bad_context(call, written)
            store.put("contexts", flt.filter_id, written)
        return call

    def _bad_context(self, call: NotifyCall, written: object) -> NotifyCall:
        fault = f"notifyFn set filter.context to {written!r}, not an integer"
        bad = NotifyCall(call.kind, call.filter_id, call.callout, STATUS_UNSUCCESSFUL, fault)
        self._kernel.notifications[-1] = bad
        return bad
