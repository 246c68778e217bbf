"""Exercise 12 · reference solution.

The filter is ``CALLOUT_UNKNOWN`` so that the callout may answer PERMIT (redirected) or CONTINUE
(left alone); a terminating filter would read CONTINUE as BLOCK. The application is compared
lower-cased: ``ALE_APP_ID`` holds the lower-cased path. Redirection happens *before*
authorization, so ``ALE_AUTH_CONNECT_V4`` sees — and a firewall there rules on — the proxy's
address. A real driver would also use redirect records and
``FwpsQueryConnectionRedirectState0`` as its loop guard (reference §5); checking the proxy's
application is the same idea in its simplest form.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Engine, Filter
from wfpsim.ids import (
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
    classify_out.action_type = FWP_ACTION_CONTINUE
    if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
        return
    values = in_fixed_values.incoming_value
    if values[FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_IP_PROTOCOL].value.uint8 != 6:
        return
    app = values[FWPS_FIELD_ALE_CONNECT_REDIRECT_V4_ALE_APP_ID].value.byte_blob
    if app.decode("utf-16-le").rstrip("\0") == PROXY_APP.lower():
        return
    if layer_data.remote_port != 80:
        return
    layer_data.remote_address = PROXY_ADDRESS
    layer_data.remote_port = PROXY_PORT
    classify_out.action_type = FWP_ACTION_PERMIT


def install(engine: Engine) -> None:
    """Add the callout, register it, and add a filter that invokes it."""
    engine.add_callout(Callout(CALLOUT, LAYER))
    engine.register_callout(CALLOUT, redirect_classify)
    engine.add_filter(Filter("web to proxy", LAYER, "CALLOUT_UNKNOWN", callout=CALLOUT))


AUTH_CONNECT_SEES: str | None = "proxy"
