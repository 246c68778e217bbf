"""Exercise 12 · Write a connect-redirect callout.

The company's web proxy listens at ``PROXY_ADDRESS:PROXY_PORT``. Write a callout at
``ALE_CONNECT_REDIRECT_V4`` that sends every outbound **TCP** connection to remote port **80**
there instead — a transparent proxy.

At this layer ``layer_data`` is the connection's ``FWPS_CONNECT_REQUEST0``
(``wfpsim.stack.layerdata.ConnectRequest``): ``remote_address`` (text) and ``remote_port``
are writable, and the stack connects to whatever they hold when the callout returns (in a real
driver: ``FwpsAcquireWritableLayerDataPointer0`` … ``FwpsApplyModifiedLayerData0``, reference
§5). Rules:

1. Redirect only TCP connections to remote port 80.
2. Never redirect the proxy's own connections (application ``PROXY_APP``): the proxy fetches the
   real pages over port 80 itself, and redirecting it to itself would loop forever.
3. Only with the write right: without ``FWPS_RIGHT_ACTION_WRITE`` another product has decided;
   leave the request alone.
4. When you redirect, answer ``FWP_ACTION_PERMIT``; otherwise answer ``FWP_ACTION_CONTINUE``.

:func:`install` adds the callout ``CALLOUT`` at ``ALE_CONNECT_REDIRECT_V4``, registers
:func:`redirect_classify` and adds a filter that invokes it (a filter type that lets the callout
answer either PERMIT or CONTINUE — notebook 05).

Then a question: after your callout redirected a connection, which remote address does
``ALE_AUTH_CONNECT_V4`` see? Set ``AUTH_CONNECT_SEES`` to ``"original"`` or ``"proxy"``.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter  # noqa: F401  (you will need them)
from wfpsim.ids import (  # noqa: F401  (you will need them)
    FWP_ACTION_CONTINUE,
    FWP_ACTION_PERMIT,
    FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_ALE_APP_ID,
    FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_IP_PROTOCOL,
    FWPS_RIGHT_ACTION_WRITE,
)

LAYER = "ALE_CONNECT_REDIRECT_V4"
CALLOUT = "transparent proxy"
PROXY_ADDRESS = "10.0.0.99"
PROXY_PORT = 3128
PROXY_APP = r"C:\Program Files\Proxy\proxy.exe"


def redirect_classify(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Redirect TCP connections to port 80 to the proxy (rules 1-4 above)."""
    raise NotImplementedError("write the redirect callout")


def install(engine: Engine) -> None:
    """Add the callout, register it, and add a filter that invokes it."""
    raise NotImplementedError("add and register the callout, and add its filter")


AUTH_CONNECT_SEES: str | None = None
