"""A local egress proxy: a connect-redirect callout and its proxy service, as WFPSampler's proxy
scenario builds them.

:class:`EgressProxyDriver` registers one callout at ``ALE_CONNECT_REDIRECT_V4`` behind a filter
for TCP to one remote port, and starts its user-mode proxy service
(:class:`~wfpsim.stack.proxy.LocalProxy`, ``127.0.0.1:8080``). Its classifyFn follows Microsoft's
*Using Bind or Connect Redirection*:

1. ask ``FwpsQueryConnectionRedirectState0`` with the connection's redirect records — the
   proxy's own connection to the real destination comes back here carrying the records the
   proxy copied onto it, and reads ``FWPS_CONNECTION_REDIRECTED_BY_SELF``: let it go;
2. otherwise take a classify handle and a writable ``FWPS_CONNECT_REQUEST0``, point it at the
   proxy, name the proxy's pid (``local_redirect_target_pid``), the redirect handle
   (``local_redirect_handle``) and the original destination (``local_redirect_context``), apply
   it and permit.

:class:`ProxyLoopDriver` forgets step 1: the proxy's own connection is redirected to the proxy
again, which connects again, … — the proxy loop wfpsim stops and reports as its fault.
:class:`BindRedirectDriver` is the bind-layer counterpart: it moves one application's sockets to
a fixed local address and port at ``ALE_BIND_REDIRECT_V4``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.conditions import Condition
from wfpsim.errors import WfpError
from wfpsim.ids import (
    FWP_ACTION_PERMIT,
    FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF,
    FWPS_CONNECTION_REDIRECTED_BY_SELF,
    FWPS_RIGHT_ACTION_WRITE,
    STATUS_FAILED_DRIVER_ENTRY,
    STATUS_SUCCESS,
)
from wfpsim.kernel import DbgPrint
from wfpsim.modification import (
    FwpsAcquireClassifyHandle0,
    FwpsAcquireWritableLayerDataPointer0,
    FwpsApplyModifiedLayerData0,
    FwpsReleaseClassifyHandle0,
)
from wfpsim.objects import Callout, Filter
from wfpsim.redirection import (
    FwpsQueryConnectionRedirectState0,
    FwpsRedirectHandleCreate0,
    FwpsRedirectHandleDestroy0,
    Out,
    RedirectHandle,
)
from wfpsim.stack.proxy import LocalProxy, start_proxy, stop_proxy

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.session import Session

PROXY_PROVIDER_GUID = uuid.UUID("5c7a1d3e-2b8f-4e61-9a0d-7e3b2c1f4a10")
PROXY_CALLOUT_GUID = uuid.UUID("5c7a1d3e-2b8f-4e61-9a0d-7e3b2c1f4a11")
BIND_CALLOUT_GUID = uuid.UUID("5c7a1d3e-2b8f-4e61-9a0d-7e3b2c1f4a12")
#: ``sizeof(SOCKADDR_STORAGE)``: the context this driver allocates
SOCKADDR_STORAGE_SIZE = 128


@dataclass(frozen=True, slots=True)
class OriginalDestination:
    """The redirect context this driver allocates: where the app was connecting."""

    address: str
    port: int


class _Driver:
    """Open a dynamic session, add one callout and its filter; close it all on unload."""

    name = ""
    callout_name = ""
    layer = ""
    guid = PROXY_CALLOUT_GUID

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None

    def conditions(self) -> list[Condition]:
        return []

    def install(self, filter_name: str) -> bool:
        try:
            self.engine.register_callout(self.guid, self.classify, None, None)
            self.session = self.engine.open_session(self.name, dynamic=True)
            with self.session.transaction():
                self.session.add_callout(Callout(self.callout_name, self.layer, self.guid))
                self.session.add_filter(
                    Filter(
                        filter_name,
                        self.layer,
                        "CALLOUT_TERMINATING",
                        conditions=self.conditions(),
                        callout=self.guid,
                    )
                )
        except WfpError as err:
            DbgPrint("%s failed to load, status 0x%08x", self.name, err.status)
            return False
        return True

    def uninstall(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None
        self.engine.unregister_callout(self.guid)

    def classify(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: Any,
        classify_context: Any,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        raise NotImplementedError


class EgressProxyDriver(_Driver):
    """Redirect outbound TCP to ``remote_port`` to a local proxy, leaving the proxy's own alone.

    Attributes:
        remote_port: the filter's ``IP_REMOTE_PORT`` condition.
        proxy_port, proxy_pid: where the proxy service listens and its process id.
        check_redirect_state: ask ``FwpsQueryConnectionRedirectState0`` first (the loop guard).
        proxy_sets_records: the proxy copies the redirect records onto its own socket.
    """

    name = "EgressProxy"
    callout_name = "egress-proxy"
    layer = "ALE_CONNECT_REDIRECT_V4"
    guid = PROXY_CALLOUT_GUID
    remote_port = 80
    proxy_port = 8080
    proxy_pid = 5000
    check_redirect_state = True
    proxy_sets_records = True

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.redirect_handle: RedirectHandle | None = None
        self.proxy = LocalProxy(
            self.proxy_port, self.proxy_pid, set_records=self.proxy_sets_records
        )
        self.redirected = 0

    def conditions(self) -> list[Condition]:
        return [
            Condition("IP_PROTOCOL", "EQUAL", 6),
            Condition("IP_REMOTE_PORT", "EQUAL", self.remote_port),
        ]

    def driver_entry(self) -> int:
        """Create the redirect handle, add callout and filter, start the proxy service."""
        with self.engine.kernel_context():
            handle: Out[RedirectHandle] = Out()
            status = FwpsRedirectHandleCreate0(PROXY_PROVIDER_GUID, 0, handle)
            if status != STATUS_SUCCESS:
                DbgPrint("FwpsRedirectHandleCreate0 failed, status 0x%08x", status)
                return STATUS_FAILED_DRIVER_ENTRY
            self.redirect_handle = handle.value
            if not self.install(f"{self.callout_name} port {self.remote_port}"):
                return STATUS_FAILED_DRIVER_ENTRY
            start_proxy(self.engine, self.proxy)
            DbgPrint("%s loaded; proxy at %s", self.name, str(self.proxy.address))
            return STATUS_SUCCESS

    def unload(self) -> None:
        """Stop the proxy, close the session, unregister, destroy the redirect handle."""
        with self.engine.kernel_context():
            stop_proxy(self.engine, self.proxy)
            self.uninstall()
            if self.redirect_handle is not None:
                FwpsRedirectHandleDestroy0(self.redirect_handle)
            DbgPrint("%s unloaded after %d redirections", self.name, self.redirected)

    def classify(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: Any,
        classify_context: Any,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        """Leave our own proxy's connections alone; send everything else to the proxy."""
        handle = self.redirect_handle
        if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE or handle is None:
            return
        if self.check_redirect_state:
            state = FwpsQueryConnectionRedirectState0(in_meta_values.redirect_records, handle)
            if state in (
                FWPS_CONNECTION_REDIRECTED_BY_SELF,
                FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF,
            ):
                DbgPrint("%s: our proxy's own connection: leave it", self.name)
                classify_out.action_type = FWP_ACTION_PERMIT
                return
        classify_handle: Out[int] = Out()
        if FwpsAcquireClassifyHandle0(classify_context, 0, classify_handle) != STATUS_SUCCESS:
            return
        writable: Out[Any] = Out()
        status = FwpsAcquireWritableLayerDataPointer0(
            classify_handle.value or 0, filter.filter_id, 0, writable, classify_out
        )
        if status == STATUS_SUCCESS and writable.value is not None:
            request = writable.value
            original = OriginalDestination(request.remote_address, request.remote_port)
            request.remote_address = self.proxy.address.ip
            request.remote_port = self.proxy.address.port
            request.local_redirect_target_pid = self.proxy.app.pid
            request.local_redirect_handle = handle
            request.local_redirect_context = original
            request.local_redirect_context_size = SOCKADDR_STORAGE_SIZE
            FwpsApplyModifiedLayerData0(classify_handle.value or 0, request, 0)
            self.redirected += 1
            DbgPrint("%s: %s:%d sent to the proxy", self.name, original.address, original.port)
        FwpsReleaseClassifyHandle0(classify_handle.value or 0)
        classify_out.action_type = FWP_ACTION_PERMIT


class ProxyLoopDriver(EgressProxyDriver):
    """The egress proxy driver without its loop guard: the proxy's own connection loops."""

    name = "ProxyLoop"
    callout_name = "proxy-without-check"
    check_redirect_state = False


class UnmarkedProxyDriver(EgressProxyDriver):
    """The driver checks, but its proxy forgets to set the records on its own socket."""

    name = "UnmarkedProxy"
    callout_name = "egress-proxy"
    proxy_sets_records = False


class BindRedirectDriver(_Driver):
    """Move the sockets of one application to ``local_address``:``local_port`` at bind time.

    What a split-tunnelling VPN client does: the app's traffic then leaves from the chosen
    address whatever it asked for (``FWPS_BIND_REQUEST0``'s local end changed at
    ``ALE_BIND_REDIRECT_V4``; the whole socket uses it).
    """

    name = "BindRedirect"
    callout_name = "bind-redirect"
    layer = "ALE_BIND_REDIRECT_V4"
    guid = BIND_CALLOUT_GUID
    app = r"C:\Tools\tunnelled.exe"
    local_address = "10.0.0.5"
    local_port = 40000

    def conditions(self) -> list[Condition]:
        return [Condition("ALE_APP_ID", "EQUAL", self.app)]

    def driver_entry(self) -> int:
        """Add the callout and its filter."""
        with self.engine.kernel_context():
            if not self.install(f"{self.callout_name} {self.app}"):
                return STATUS_FAILED_DRIVER_ENTRY
            DbgPrint("%s loaded", self.name)
            return STATUS_SUCCESS

    def unload(self) -> None:
        """Close the session and unregister."""
        with self.engine.kernel_context():
            self.uninstall()

    def classify(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: Any,
        classify_context: Any,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        """Rewrite the bind request's local end."""
        if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
            return
        classify_handle: Out[int] = Out()
        if FwpsAcquireClassifyHandle0(classify_context, 0, classify_handle) != STATUS_SUCCESS:
            return
        writable: Out[Any] = Out()
        status = FwpsAcquireWritableLayerDataPointer0(
            classify_handle.value or 0, filter.filter_id, 0, writable, classify_out
        )
        if status == STATUS_SUCCESS and writable.value is not None:
            writable.value.local_address = self.local_address
            writable.value.local_port = self.local_port
            FwpsApplyModifiedLayerData0(classify_handle.value or 0, writable.value, 0)
            DbgPrint("%s: bind moved to %s:%d", self.name, self.local_address, self.local_port)
        FwpsReleaseClassifyHandle0(classify_handle.value or 0)
        classify_out.action_type = FWP_ACTION_PERMIT


__all__ = [
    "BindRedirectDriver",
    "EgressProxyDriver",
    "OriginalDestination",
    "ProxyLoopDriver",
    "UnmarkedProxyDriver",
]
