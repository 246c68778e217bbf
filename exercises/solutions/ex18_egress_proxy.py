"""Exercise 18 · reference solution.

A connect redirection to a local proxy needs three things from the callout (Microsoft's *Using
Bind or Connect Redirection*, notebook 16):

* the original destination in ``local_redirect_context`` (and its size): the proxy reads it with
  ``SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT`` to know where to connect;
* the driver's redirect handle in ``local_redirect_handle``: the redirect records then say who
  redirected the connection;
* ``FwpsQueryConnectionRedirectState0(in_meta_values.redirect_records, REDIRECT_HANDLE)`` first:
  the proxy's own connection carries the records the proxy copied onto its socket, reads
  ``FWPS_CONNECTION_REDIRECTED_BY_SELF``, and is permitted untouched (``FWP_ACTION_PERMIT``:
  behind a terminating filter ``FWP_ACTION_CONTINUE`` would count as a block).
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter
from wfpsim.ids import (
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
from wfpsim.redirection import (
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
    """Leave our proxy's own connection alone; send everything else to the proxy."""
    if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
        return
    state = FwpsQueryConnectionRedirectState0(in_meta_values.redirect_records, REDIRECT_HANDLE)
    if state in (FWPS_CONNECTION_REDIRECTED_BY_SELF, FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF):
        DbgPrint("web proxy: our proxy's own connection")
        classify_out.action_type = FWP_ACTION_PERMIT
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
        request.local_redirect_context = (request.remote_address, request.remote_port)
        request.local_redirect_context_size = SOCKADDR_STORAGE_SIZE
        request.remote_address, request.remote_port = "127.0.0.1", PROXY_PORT
        request.local_redirect_target_pid = PROXY_PID
        request.local_redirect_handle = REDIRECT_HANDLE
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
