"""The Base Filtering Engine: sessions, the object store, callout registration, queries.

>>> engine = Engine()
>>> with engine.open_session("demo", dynamic=True) as s:
...     f = s.add_filter(Filter("no telnet", "ALE_AUTH_CONNECT_V4", "BLOCK",
...                             [Condition("IP_REMOTE_PORT", "EQUAL", 23)]))
...     [x.name for x in engine.filters("ALE_AUTH_CONNECT_V4")]
['no telnet']
>>> engine.filters("ALE_AUTH_CONNECT_V4")   # the dynamic session closed: its filter is gone
[]
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from wfpsim.callouts import KernelFilter, MetaValues
from wfpsim.catalog import Layer, layer, parse_guid
from wfpsim.classifier import DEFAULT_CALLOUT_BUDGET, ClassifyLog, LayerStatistics, classify
from wfpsim.conditions import Condition
from wfpsim.errors import AlreadyExistsError, WfpError
from wfpsim.flows import FlowTable
from wfpsim.kernel import CURRENT_ENGINE
from wfpsim.objects import Callout, Filter, Provider, Sublayer
from wfpsim.registry import CalloutRegisterFlag, CalloutRegistry, NotifyType, Registration
from wfpsim.session import Session
from wfpsim.store import Snapshot, sort_filters
from wfpsim.trace import Classification

__all__ = ["Condition", "Engine"]


class Engine:
    """One simulated BFE and its kernel-side callout table.

    The add/delete methods on the engine itself run in a default *static* session (like a
    tool calling ``Fwpm*Add0`` without ``FWPM_SESSION_FLAG_DYNAMIC``); use
    :meth:`open_session` for dynamic sessions and explicit transactions.
    """

    def __init__(self, key_seed: str = "wfpsim") -> None:
        self._state = Snapshot.with_builtins()
        self._sessions: dict[uuid.UUID, Session] = {}
        self._txn_holder: Session | None = None
        self._key_seed = key_seed
        self._session_count = 0
        self._default: Session | None = None
        self.registry = CalloutRegistry()
        #: notify calls made, in order: (notify type, filter id, callout name)
        self.notifications: list[tuple[NotifyType, int, str]] = []
        #: per-layer classify statistics and veto events
        self.classify_log = ClassifyLog()
        #: ALE flows and their callout contexts (filled by the simulated stack)
        self.flow_table = FlowTable()
        #: DbgPrint output of callouts and drivers (what DbgView would show)
        self.debug_log: list[str] = []
        #: filter id -> ``FWPS_FILTER.context`` a notifyFn set on ADD_FILTER
        self.kernel_filter_contexts: dict[int, int] = {}
        #: seconds one classifyFn call may take before the simulated watchdog makes it a
        #: fault (None: no watchdog); see :mod:`wfpsim.classifier`
        self.callout_budget: float | None = DEFAULT_CALLOUT_BUDGET

    # classification ---------------------------------------------------------------------
    def classify(
        self,
        layer_ref: Layer | str | int,
        values: Mapping[str, Any] | None = None,
        meta: MetaValues | None = None,
        layer_data: object = None,
        flow_contexts: Mapping[int, int] | None = None,
    ) -> Classification:
        """Classify once at a layer: arbitration over the committed filters.

        ``values`` maps fields (``IP_REMOTE_PORT``, ``FWPM_CONDITION_…`` or a GUID) to values;
        a field not given is ``FWP_EMPTY``, as Windows hands over a value it does not know.
        Returns the full :class:`~wfpsim.trace.Classification` trace.
        """
        return classify(self, layer_ref, values, meta, layer_data, flow_contexts)

    @contextmanager
    def kernel_context(self) -> Iterator[Engine]:
        """Make this engine the one kernel calls (DbgPrint, flow contexts) talk to."""
        token = CURRENT_ENGINE.set(self)
        try:
            yield self
        finally:
            CURRENT_ENGINE.reset(token)

    @property
    def store(self) -> Snapshot:
        """The committed store (read it, never change it): what classification sees.

        Per layer, :meth:`Snapshot.filters_on` and :meth:`Snapshot.generation` let an index
        cache a layer's evaluation order until that layer's filters or the sublayers change.
        """
        return self._state

    def policy_version(self, layer_ref: Layer | str | int) -> int:
        """How many filter adds/deletes have been committed at a layer (reauthorization)."""
        return self._state.layer_versions.get(layer(layer_ref).name, 0)

    def end_flow(self, flow_id: int) -> list[tuple[int, int, int]]:
        """A flow ends: callouts' flowDeleteFn run for every context, associations go."""

        def lookup(callout_id: int) -> Callable[[int, int, int], object] | None:
            reg = self.registry.get(callout_id)
            return reg.flow_delete if reg is not None else None

        calls = self.flow_table.end(flow_id, lookup)
        for _, callout_id, _ in calls:
            self.registry.flow_contexts[callout_id] = self.flow_table.count_for(callout_id)
        return calls

    def statistics(self, layer_ref: Layer | str | int) -> LayerStatistics:
        """Classify counters of a layer (``FWPM_LAYER_STATISTICS0``)."""
        name = layer(layer_ref).short_name
        return self.classify_log.statistics.get(name, LayerStatistics())

    # sessions -------------------------------------------------------------------------
    def open_session(
        self, name: str = "", dynamic: bool = False, key: uuid.UUID | str | None = None
    ) -> Session:
        """``FwpmEngineOpen0``; ``dynamic`` is ``FWPM_SESSION_FLAG_DYNAMIC``.

        Raises:
            AlreadyExistsError: a session with ``key`` is open.
        """
        self._session_count += 1
        guid = parse_guid(key) if key is not None else None
        if guid is None:
            guid = uuid.uuid5(uuid.NAMESPACE_OID, f"{self._key_seed}:session:{self._session_count}")
        if guid in self._sessions:
            raise AlreadyExistsError(f"session {{{guid}}} is already open")
        session = Session(self, guid, name or f"session {self._session_count}", dynamic)
        self._sessions[guid] = session
        return session

    @property
    def session(self) -> Session:
        """The default static session used by the engine's own add/delete methods."""
        if self._default is None or self._default.closed:
            self._default = self.open_session("default")
        return self._default

    @property
    def sessions(self) -> list[Session]:
        """Open sessions."""
        return list(self._sessions.values())

    # shortcuts in the default session --------------------------------------------------
    def add_provider(self, provider: Provider) -> Provider:
        """``FwpmProviderAdd0`` in the default session."""
        return self.session.add_provider(provider)

    def add_sublayer(self, sublayer: Sublayer) -> Sublayer:
        """``FwpmSubLayerAdd0`` in the default session."""
        return self.session.add_sublayer(sublayer)

    def add_callout(self, callout: Callout) -> Callout:
        """``FwpmCalloutAdd0`` in the default session."""
        return self.session.add_callout(callout)

    def add_filter(self, flt: Filter) -> Filter:
        """``FwpmFilterAdd0`` in the default session."""
        return self.session.add_filter(flt)

    def delete_filter(self, ref: int | uuid.UUID | str) -> None:
        """``FwpmFilterDeleteById0/ByKey0`` in the default session."""
        self.session.delete_filter(ref)

    def delete_sublayer(self, ref: uuid.UUID | str) -> None:
        """``FwpmSubLayerDeleteByKey0`` in the default session."""
        self.session.delete_sublayer(ref)

    def delete_callout(self, ref: uuid.UUID | str | int) -> None:
        """``FwpmCalloutDeleteByKey0`` in the default session."""
        self.session.delete_callout(ref)

    def delete_provider(self, ref: uuid.UUID | str) -> None:
        """``FwpmProviderDeleteByKey0`` in the default session."""
        self.session.delete_provider(ref)

    # run-time registration --------------------------------------------------------------
    def register_callout(
        self,
        key: uuid.UUID | str,
        classify: Callable[..., Any] | None,
        notify: Callable[..., Any] | None = None,
        flow_delete: Callable[..., Any] | None = None,
        flags: CalloutRegisterFlag | int = CalloutRegisterFlag.NONE,
    ) -> int:
        """``FwpsCalloutRegister``: returns the callout id. ``key`` may be an added callout's
        name. Filters added before registration get no ADD_FILTER notification."""
        guid = parse_guid(key)
        if guid is None:
            guid = self._state.find_callout(key).key
        reg = self.registry.register(
            Registration(guid, classify, notify, flow_delete, CalloutRegisterFlag(flags))
        )
        return reg.callout_id

    def unregister_callout(self, ref: uuid.UUID | str | int) -> None:
        """``FwpsCalloutUnregisterById0`` (an int) or ``ByKey0``; its filters stay."""
        if isinstance(ref, str) and parse_guid(ref) is None:
            ref = self._state.find_callout(ref).key
        self.registry.unregister(ref if isinstance(ref, int) else parse_guid(ref) or ref)  # type: ignore[arg-type]

    def is_registered(self, ref: uuid.UUID | str) -> bool:
        """True when the callout's classify functions are registered."""
        guid = parse_guid(ref) or self._state.find_callout(ref).key
        return guid in self.registry

    def _notify(self, kind: NotifyType, flt: Filter, only_flag: bool = False) -> bool:
        """Call the filter's callout notifyFn; False when ADD_FILTER was rejected."""
        if not isinstance(flt.callout, uuid.UUID):
            return True
        reg = self.registry.get(flt.callout)
        if reg is None or reg.notify is None:
            return True
        if only_flag and not reg.flags & CalloutRegisterFlag.ENABLE_COMMIT_ADD_NOTIFY:
            return True
        name = self._callout_name(flt.callout)
        self.notifications.append((kind, flt.filter_id, name))
        key = None if kind == NotifyType.DELETE_FILTER else flt.key
        sub = (
            self._state.sublayers.get(flt.sublayer) if isinstance(flt.sublayer, uuid.UUID) else None
        )
        context = self.kernel_filter_contexts.get(flt.filter_id)
        kfilter = KernelFilter.from_filter(flt, sub.weight if sub else 0, reg.callout_id, context)
        try:
            status = reg.notify(kind, key, kfilter)
        except (WfpError, Exception):
            status = 0xC0000001  # STATUS_UNSUCCESSFUL
        failed = isinstance(status, int) and not isinstance(status, bool) and status != 0
        ok = not (failed or status is False)
        if kind == NotifyType.DELETE_FILTER:
            self.kernel_filter_contexts.pop(flt.filter_id, None)
        elif ok and kfilter.context != flt.raw_context:
            self.kernel_filter_contexts[flt.filter_id] = kfilter.context
        return ok

    def _callout_name(self, key: uuid.UUID) -> str:
        for snap in (self._state, *(s._txn for s in self._sessions.values() if s._txn)):
            if snap is not None and key in snap.callouts:
                return snap.callouts[key].name
        return str(key)

    # queries (committed state) -----------------------------------------------------------
    def filters(
        self,
        layer_ref: Layer | str | int | None = None,
        sublayer: uuid.UUID | str | None = None,
        provider: uuid.UUID | str | None = None,
    ) -> list[Filter]:
        """Enumerate filters sorted by effective weight (high first, ties by id), optionally
        only one layer's, one sublayer's or one provider's."""
        snap = self._state
        items = list(snap.filters.values())
        if layer_ref is not None:
            la = layer(layer_ref)
            items = [f for f in items if f.layer == la]
        if sublayer is not None:
            sub_key = snap.find_sublayer(sublayer).key
            items = [f for f in items if f.sublayer == sub_key]
        if provider is not None:
            prov_key = snap.find_provider(provider).key
            items = [f for f in items if f.provider == prov_key]
        return sort_filters(items)

    def filter(self, ref: int | uuid.UUID | str) -> Filter:
        """``FwpmFilterGetById0``/``ByKey0`` (or by unique name)."""
        return self._state.find_filter(ref)

    def sublayers(self) -> list[Sublayer]:
        """Every sublayer, highest weight first (built-in ones included)."""
        return self._state.sublayer_order()

    def sublayer(self, ref: uuid.UUID | str) -> Sublayer:
        """A sublayer by key or name."""
        return self._state.find_sublayer(ref)

    def callouts(self) -> list[Callout]:
        """Every added callout (the management objects), by callout id."""
        return sorted(self._state.callouts.values(), key=lambda c: c.callout_id)

    def callout(self, ref: uuid.UUID | str | int) -> Callout:
        """A callout by key, name or id."""
        return self._state.find_callout(ref)

    def providers(self) -> list[Provider]:
        """Every provider."""
        return list(self._state.providers.values())

    def evaluation_order(self, layer_ref: Layer | str | int) -> list[tuple[Sublayer, list[Filter]]]:
        """The sublayers holding filters at a layer, in arbitration order, with their filters."""
        return self._state.evaluation_order(layer(layer_ref))

    def _counts(self) -> str:
        def n(count: int, noun: str) -> str:
            return f"{count} {noun}{'' if count == 1 else 's'}"

        st = self._state
        return (
            f"{n(len(st.filters), 'filter')}, {n(len(st.callouts), 'callout')}, "
            f"{n(len(st.sublayers), 'sublayer')}"
        )

    def _repr_html_(self) -> str:
        """In a notebook: the sublayers that hold filters and every filter, by weight."""
        from wfpsim.report import filters_table

        head = f"<p><b>Engine</b>: {self._counts()}</p>"
        return head + filters_table(self)._repr_html_()

    def __repr__(self) -> str:
        return f"<Engine {self._counts()}>"
