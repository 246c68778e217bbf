"""Exercise 18 · An egress proxy without a redirect loop.

This driver sends web traffic through a local proxy: every TCP connection this host makes to
port 80 should go to the proxy service at ``127.0.0.1:8080`` (process id ``PROXY_PID``), which
reads where the connection was going and connects there itself (notebook 16). The proxy
is the product's user-mode service (:class:`wfpsim.stack.proxy.LocalProxy`; the lab starts it
beside the driver). The driver's callout at ``ALE_CONNECT_REDIRECT_V4`` takes a writable
``FWPS_CONNECT_REQUEST0`` and points it at the proxy.

In the lab no web page ever loaded. Three bugs, all in :func:`classify` (:func:`install` is
correct: it creates the redirect handle, registers the callout and adds the filter):

* the callout never stores the **original destination** in the request's
  ``local_redirect_context`` (with ``local_redirect_context_size``): the proxy asks for it with
  ``SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT`` and, finding nothing, cannot connect anywhere.
  Store an ``(address, port)`` pair — the proxy reads one (its size: ``SOCKADDR_STORAGE_SIZE``);
* it never names its **redirect handle** in ``local_redirect_handle``: the redirect records of
  the connection then name no handle, and no one can later recognise the redirection as its own;
* it never asks ``FwpsQueryConnectionRedirectState0(in_meta_values.redirect_records,
  REDIRECT_HANDLE)``: the proxy's own connection to the web server crosses this layer too, is
  sent back to the proxy, which connects again… A connection ``FWPS_CONNECTION_REDIRECTED_BY_SELF``
  or ``FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF`` must go on untouched — and the filter is
  *terminating*, so "go on" is ``FWP_ACTION_PERMIT``.

Every web request must reach its web server through the proxy, redirected exactly once; other
traffic is not touched.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter
from wfpsim.ids import (  # noqa: F401  (you will need some of them)
    FWP_ACTION_PERMIT,
    FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF,
    FWPS_CONNECTION_REDIRECTED_BY_SELF,
    FWPS_RIGHT_ACTION_WRITE,
)
from wfpsim.kernel import DbgPrint
from wfpsim.modification import (
    FwpsAcquireClassifyHandle0,
    FwpsAcquireWritableLayerDataPointer0,
    FwpsApplyModifiedLayerData0,
    FwpsReleaseClassifyHandle0,
)
from wfpsim.redirection import (  # noqa: F401  (you will need some of them)
    FwpsQueryConnectionRedirectState0,
    FwpsRedirectHandleCreate0,
    Out,
)

LAYER = "ALE_CONNECT_REDIRECT_V4"
CALLOUT = "web proxy"
PROXY_PORT = 8080
PROXY_PID = 5000
#: ``sizeof(SOCKADDR_STORAGE)``
SOCKADDR_STORAGE_SIZE = 128
#: the driver's redirect handle (``install`` creates it)
REDIRECT_HANDLE: Any = None


def classify(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Send the connection to the proxy."""
    if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
        return
    handle: Out[int] = Out()
    if FwpsAcquireClassifyHandle0(classify_context, 0, handle) != 0:
        return
    writable: Out[Any] = Out()
    status = FwpsAcquireWritableLayerDataPointer0(
        handle.value or 0, filter.filter_id, 0, writable, classify_out
    )
    if status == 0 and writable.value is not None:
        request = writable.value
        request.remote_address, request.remote_port = "127.0.0.1", PROXY_PORT
        request.local_redirect_target_pid = PROXY_PID
        FwpsApplyModifiedLayerData0(handle.value or 0, request, 0)
        DbgPrint("web proxy: connection sent to the proxy")
    FwpsReleaseClassifyHandle0(handle.value or 0)
    classify_out.action_type = FWP_ACTION_PERMIT


def install(engine: Engine) -> None:
    """Create the redirect handle, add and register the callout and its filter (correct)."""
    global REDIRECT_HANDLE
    handle: Out[Any] = Out()
    with engine.kernel_context():
        FwpsRedirectHandleCreate0(None, 0, handle)
    REDIRECT_HANDLE = handle.value
    engine.add_callout(Callout(CALLOUT, LAYER))
    engine.register_callout(CALLOUT, classify)
    engine.add_filter(
        Filter(
            "web through the proxy",
            LAYER,
            "CALLOUT_TERMINATING",
            [Condition("IP_PROTOCOL", "EQUAL", 6), Condition("IP_REMOTE_PORT", "EQUAL", 80)],
            callout=CALLOUT,
        )
    )
