"""Classify handles and writable layer data at the redirect layers."""

from __future__ import annotations

import uuid
from typing import Any

from wfpsim import Callout, Engine, Filter
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_RIGHT_ACTION_WRITE,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
)
from wfpsim.injection import Out
from wfpsim.modification import (
    ClassifyContext,
    FwpsAcquireClassifyHandle0,
    FwpsAcquireWritableLayerDataPointer0,
    FwpsApplyModifiedLayerData0,
    FwpsReleaseClassifyHandle0,
)
from wfpsim.stack import Stack

SEEN: dict[str, Any] = {}


def redirect(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Send every connect to port 80 to 127.0.0.1:8080, the way a driver does it."""
    handle: Out[int] = Out()
    SEEN["acquire"] = FwpsAcquireClassifyHandle0(classify_context, 0, handle)
    writable: Out[Any] = Out()
    status = FwpsAcquireWritableLayerDataPointer0(
        handle.value or 0, filter.filter_id, 0, writable, classify_out
    )
    SEEN["writable"] = status
    SEEN["after_acquire"] = (classify_out.action_type, classify_out.rights)
    writable.value.remote_address, writable.value.remote_port = "127.0.0.1", 8080
    writable.value.local_redirect_target_pid = 4242
    FwpsApplyModifiedLayerData0(handle.value or 0, writable.value, 0)
    FwpsReleaseClassifyHandle0(handle.value or 0)
    SEEN["request"] = layer_data
    classify_out.action_type = FWP_ACTION_PERMIT


def _engine(layer: str) -> Engine:
    engine = Engine()
    key = uuid.uuid4()
    engine.add_callout(Callout("redirector", layer, key))
    engine.register_callout(key, redirect)
    engine.add_filter(Filter("redirect web", layer, "CALLOUT_TERMINATING", callout=key))
    return engine


def test_writable_connect_request_redirects_the_connection() -> None:
    """Acquire gives a copy and a hard BLOCK; apply makes it the request's new version."""
    SEEN.clear()
    journey = Stack(_engine("ALE_CONNECT_REDIRECT_V4")).run(
        "tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80"
    )
    assert SEEN["acquire"] == SEEN["writable"] == STATUS_SUCCESS
    action, rights = SEEN["after_acquire"]
    assert action == FWP_ACTION_BLOCK and not rights & FWPS_RIGHT_ACTION_WRITE
    request = SEEN["request"]
    assert (request.remote_address, request.remote_port) == ("127.0.0.1", 8080)
    assert request.previous_version.remote_port == 80 and request.modifier_filter_id > 0
    assert request.local_redirect_target_pid == 4242
    connect = journey.at("ALE_AUTH_CONNECT_V4").in_fixed_values
    assert connect["IP_REMOTE_PORT"].uint16 == 8080
    assert any("connect redirected" in n for n in journey.notes)


def test_no_writable_data_outside_the_redirect_layers() -> None:
    """At ALE_AUTH_CONNECT there is nothing to write: STATUS_INVALID_PARAMETER."""
    handle: Out[int] = Out()
    assert FwpsAcquireClassifyHandle0(ClassifyContext(None), 0, handle) == STATUS_SUCCESS
    out: Out[Any] = Out()
    assert (
        FwpsAcquireWritableLayerDataPointer0(handle.value or 0, 1, 0, out, None)
        == STATUS_INVALID_PARAMETER
    )
    assert FwpsAcquireClassifyHandle0(object(), 0, Out()) == STATUS_INVALID_PARAMETER  # type: ignore[arg-type]
    FwpsReleaseClassifyHandle0(handle.value or 0)
