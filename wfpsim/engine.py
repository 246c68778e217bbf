"""The Base Filtering Engine: sessions, the object store, callout registration, queries.

>>> from wfpsim import Condition, Filter
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
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any

from wfpsim.bfe import Bfe
from wfpsim.callouts import MetaValues
from wfpsim.catalog import Layer, layer, parse_guid
from wfpsim.classifier import DEFAULT_CALLOUT_BUDGET, ClassifyLog, LayerStatistics, classify
from wfpsim.errors import (
    AlreadyExistsError,
    InvalidFlagsError,
    InvalidParameterError,
)
from wfpsim.flows import FlowTable
from wfpsim.kernel import Kernel, NotifyCall
from wfpsim.objects import Callout, Filter, Provider, Sublayer
from wfpsim.registry import CalloutRegisterFlag, CalloutRegistry, Registration
from wfpsim.session import Session
from wfpsim.store import Store, layer_key, sort_filters
from wfpsim.trace import Classification


class Engine:
    """One simulated BFE (the store of objects) and its kernel (:class:`~wfpsim.kernel.Kernel`).

    The add/delete methods on the engine itself run in a default *static* session (like a
    tool calling ``Fwpm*Add0`` without ``FWPM_SESSION_FLAG_DYNAMIC``); use
    :meth:`open_session` for dynamic sessions and explicit transactions.
    """

    def __init__(self, key_seed: str = "wfpsim") -> None:
        self._sessions: dict[uuid.UUID, Session] = {}
        self._key_seed = key_seed
        self._session_count = 0
        self._default: Session | None = None
        #: registrations, flows, the debug log and every notifyFn/flowDeleteFn call
        self.kernel = Kernel()
        #: the store and its transaction lock (what sessions change)
        self.bfe = Bfe(self.kernel, key_seed)
        #: per-layer classify statistics and veto events
        self.classify_log = ClassifyLog()
        #: seconds one classifyFn call may take before the simulated watchdog makes it a
        #: fault (None: no watchdog); see :mod:`wfpsim.classifier`
        self.callout_budget: float | None = DEFAULT_CALLOUT_BUDGET

    # the kernel's parts, by the names drivers' readers know --------------------------------
    @property
    def registry(self) -> CalloutRegistry:
        """Registered callouts (``FwpsCalloutRegister``): :attr:`Kernel.registry`."""
        return self.kernel.registry

    @property
    def flow_table(self) -> FlowTable:
        """ALE flows and their callout contexts: :attr:`Kernel.flow_table`."""
        return self.kernel.flow_table

    @property
    def debug_log(self) -> list[str]:
        """DbgPrint output of callouts and drivers (what DbgView would show)."""
        return self.kernel.debug_log

    @property
    def notifications(self) -> list[NotifyCall]:
        """Every notifyFn call made, in order (kind, filter id, callout, status, fault)."""
        return self.kernel.notifications

    @property
    def kernel_filter_contexts(self) -> dict[int, int]:
        """Filter id -> ``FWPS_FILTER.context`` a notifyFn set, for committed filters."""
        return dict(self.store.contexts)

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
        if values is not None and not isinstance(values, Mapping):
            raise InvalidParameterError(
                f"classify values {values!r} are not a mapping of field -> value "
                "(e.g. {'IP_REMOTE_PORT': 23})"
            )
        return classify(self, layer_ref, values, meta, layer_data, flow_contexts)

    def kernel_context(self) -> AbstractContextManager[Kernel]:
        """Enter this engine's kernel: the one way kernel calls (DbgPrint, flow contexts) find it.

        Like :func:`decimal.localcontext`: ``with engine.kernel_context(): ...``. The engine
        enters it around every callout call; a driver's load/unload code enters it too.
        """
        return self.kernel.active()

    @property
    def store(self) -> Store:
        """The committed store (read it, never change it): what classification sees.

        Per layer, :meth:`Store.filters_on` and :meth:`Store.generation` let an index cache a
        layer's evaluation order until that layer's filters or the sublayers change.
        """
        return self.bfe.committed()

    def filter_context(self, filter_id: int) -> int | None:
        """The ``FWPS_FILTER.context`` a notifyFn set for a committed filter, if any."""
        return self.store.context(filter_id)

    def registration(self, ref: uuid.UUID | int | None) -> Registration | None:
        """The kernel registration of a callout (by key or callout id), if registered."""
        return self.kernel.registry.get(ref) if ref is not None else None

    def policy_version(self, layer_ref: Layer | str | int) -> int:
        """How many filter adds/deletes have been committed at a layer (reauthorization)."""
        return self.store.version(layer(layer_ref))

    def end_flow(self, flow_id: int) -> list[tuple[int, int, int]]:
        """A flow ends: callouts' flowDeleteFn run for every context, associations go."""
        return self.kernel.end_flow(flow_id)

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
            InvalidParameterError: ``key`` is not a GUID.
        """
        guid = None
        if key is not None:
            guid = parse_guid(key) if isinstance(key, (str, uuid.UUID)) else None
            if guid is None:
                raise InvalidParameterError(
                    f"session key {key!r} is not a GUID (expected '{{xxxxxxxx-xxxx-…}}')"
                )
        self._session_count += 1
        if guid is None:
            guid = uuid.uuid5(uuid.NAMESPACE_OID, f"{self._key_seed}:session:{self._session_count}")
        if guid in self._sessions:
            raise AlreadyExistsError(f"session {{{guid}}} is already open")
        session = Session(self, guid, name or f"session {self._session_count}", bool(dynamic))
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

    def forget_session(self, session: Session) -> None:
        """A session closed (called by :meth:`Session.close`)."""
        self._sessions.pop(session.key, None)

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

    def add_filters(self, filters: Iterable[Filter]) -> list[Filter]:
        """Many ``FwpmFilterAdd0`` in one transaction of the default session: all or none."""
        return self.session.add_filters(filters)

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
        name. Filters added before registration get no ADD_FILTER notification.

        Raises:
            AlreadyExistsError: the callout is registered already.
            InvalidParameterError: a function that is not callable, or a key that is neither a
                GUID nor an added callout's name.
            InvalidFlagsError: ``flags`` has bits ``FWP_CALLOUT_FLAG_*`` does not define.
        """
        guid = self._callout_key(key)
        reg = self.registry.register(
            Registration(guid, classify, notify, flow_delete, _register_flags(flags))
        )
        return reg.callout_id

    def unregister_callout(self, ref: uuid.UUID | str | int) -> None:
        """``FwpsCalloutUnregisterById0`` (an int) or ``ByKey0``; its filters stay."""
        if isinstance(ref, int) and not isinstance(ref, bool):
            self.registry.unregister(ref)
        else:
            self.registry.unregister(self._callout_key(ref))

    def is_registered(self, ref: uuid.UUID | str) -> bool:
        """True when the callout's classify functions are registered."""
        return self._callout_key(ref) in self.registry

    def _callout_key(self, ref: object) -> uuid.UUID:
        """A callout's key from a key or the name of a callout added (committed or not)."""
        if not isinstance(ref, (str, uuid.UUID)):
            raise InvalidParameterError(f"callout {ref!r} is not a key (GUID) or a callout's name")
        guid = parse_guid(ref)
        return guid if guid is not None else self.bfe.live.find_callout(ref).key

    # queries (committed state) -----------------------------------------------------------
    def filters(
        self,
        layer_ref: Layer | str | int | None = None,
        sublayer: uuid.UUID | str | None = None,
        provider: uuid.UUID | str | None = None,
    ) -> list[Filter]:
        """Enumerate filters sorted by effective weight (high first, ties by id), optionally
        only one layer's, one sublayer's or one provider's."""
        snap = self.store
        if layer_ref is not None:
            items = snap.filters_on(layer_key(layer(layer_ref)))
        else:
            items = list(snap.filters.values())
        if sublayer is not None:
            sub_key = snap.find_sublayer(sublayer).key
            items = [f for f in items if f.sublayer == sub_key]
        if provider is not None:
            prov_key = snap.find_provider(provider).key
            items = [f for f in items if f.provider == prov_key]
        return sort_filters(items)

    def filter(self, ref: int | uuid.UUID | str) -> Filter:
        """``FwpmFilterGetById0``/``ByKey0`` (or by unique name)."""
        return self.store.find_filter(ref)

    def sublayers(self) -> list[Sublayer]:
        """Every sublayer, highest weight first (built-in ones included)."""
        return self.store.sublayer_order()

    def sublayer(self, ref: uuid.UUID | str) -> Sublayer:
        """A sublayer by key or name."""
        return self.store.find_sublayer(ref)

    def callouts(self) -> list[Callout]:
        """Every added callout (the management objects), by callout id."""
        return sorted(self.store.callouts.values(), key=lambda c: c.callout_id)

    def callout(self, ref: uuid.UUID | str | int) -> Callout:
        """A callout by key, name or id."""
        return self.store.find_callout(ref)

    def providers(self) -> list[Provider]:
        """Every provider."""
        return list(self.store.providers.values())

    def evaluation_order(self, layer_ref: Layer | str | int) -> list[tuple[Sublayer, list[Filter]]]:
        """The sublayers holding filters at a layer, in arbitration order, with their filters."""
        return self.store.evaluation_order(layer(layer_ref))

    def _counts(self) -> str:
        def n(count: int, noun: str) -> str:
            return f"{count} {noun}{'' if count == 1 else 's'}"

        st = self.store
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


def _register_flags(flags: object) -> CalloutRegisterFlag:
    """``FWPS_CALLOUT.flags`` checked: an integer of known ``FWP_CALLOUT_FLAG_*`` bits."""
    known = 0
    for member in CalloutRegisterFlag:
        known |= int(member)
    if isinstance(flags, bool) or not isinstance(flags, int) or flags & ~known or flags < 0:
        valid = ", ".join(f"{f.name} ({int(f):#x})" for f in CalloutRegisterFlag if f)
        raise InvalidFlagsError(f"callout flags {flags!r} are not a combination of {valid}")
    return CalloutRegisterFlag(flags)
