"""Exercise 15 · Fix a reinjection loop.

This driver **tags** mDNS queries: every UDP datagram this host sends to port 5353 should leave
once, with ``TAG`` appended to its payload. Its callout at ``OUTBOUND_TRANSPORT_V4`` makes a copy
with the new payload (:func:`tagged_copy`, a deep copy made with
``FwpsAllocateNetBufferAndNetBufferList0``), injects the copy with
``FwpsInjectTransportSendAsync0`` and blocks the original (notebook 13).

In the lab no query ever left, and the stack reported an injection loop. Three bugs, all in
:func:`classify` and :func:`completion` (:func:`install` and :func:`tagged_copy` are correct):

* the callout never asks ``FwpsQueryPacketInjectionState0``: its own copy comes back to
  ``OUTBOUND_TRANSPORT_V4`` and is tagged and injected again, and again. A packet injected by
  this driver's handle (``FWPS_PACKET_INJECTED_BY_SELF`` or
  ``FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF``) must go on untouched — and the filter is
  *terminating*, so "go on" is ``FWP_ACTION_PERMIT``;
* it blocks the original without ``FWPS_CLASSIFY_OUT_FLAG_ABSORB``: even once the copy leaves,
  every query also shows as a dropped packet (a drop event, the discard layer);
* :func:`completion` never frees the copy: each query leaks a net buffer list. A copy made by
  ``FwpsAllocateNetBufferAndNetBufferList0`` is freed with ``FwpsFreeNetBufferList0``.

Every datagram to port 5353 must leave exactly once, tagged once; nothing else is touched.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter
from wfpsim.ids import (  # noqa: F401  (you will need some of them)
    AF_INET,
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_INJECTION_TYPE_TRANSPORT,
    FWPS_PACKET_INJECTED_BY_SELF,
    FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF,
    FWPS_RIGHT_ACTION_WRITE,
)
from wfpsim.injection import (  # noqa: F401  (you will need some of them)
    FwpsAllocateNetBufferAndNetBufferList0,
    FwpsFreeNetBufferList0,
    FwpsInjectionHandleCreate0,
    FwpsInjectTransportSendAsync0,
    FwpsQueryPacketInjectionState0,
    Out,
)
from wfpsim.kernel import DbgPrint
from wfpsim.stack.packets import Packet

LAYER = "OUTBOUND_TRANSPORT_V4"
CALLOUT = "mdns tagger"
TAG = b" [tagged]"
#: the driver's injection handle (``install`` creates it)
INJECTION_HANDLE: Any = None


def tagged_copy(layer_data: Any) -> Any:
    """A new net buffer list: the datagram with ``TAG`` after its payload (correct as it is)."""
    packet = Packet.from_bytes(layer_data.data)
    data = Packet(packet.ip, packet.transport, packet.payload + TAG).to_bytes()
    copy: Out[Any] = Out()
    offset = layer_data.data_offset
    status = FwpsAllocateNetBufferAndNetBufferList0(
        None, 0, 0, data, offset, len(data) - offset, copy
    )
    return copy.value if status == 0 else None


def classify(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Tag the datagram: inject a tagged copy and block the original."""
    if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
        return
    copy = tagged_copy(layer_data)
    if copy is None:
        return
    status = FwpsInjectTransportSendAsync0(
        INJECTION_HANDLE,
        None,
        in_meta_values.transport_endpoint_handle,
        0,
        None,
        AF_INET,
        in_meta_values.compartment_id,
        copy,
        completion,
        None,
    )
    if status != 0:
        FwpsFreeNetBufferList0(copy)
        return
    DbgPrint("tagger: injected a tagged copy")
    classify_out.action_type = FWP_ACTION_BLOCK
    classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE


def completion(context: Any, net_buffer_list: Any, dispatch_level: bool) -> None:
    """``completionFn``: the copy is in the stack."""
    DbgPrint("tagger: injection complete, status 0x%08x", net_buffer_list.status)


def install(engine: Engine) -> None:
    """Create the injection handle, add and register the callout, add its filter (correct)."""
    global INJECTION_HANDLE
    handle: Out[Any] = Out()
    with engine.kernel_context():
        FwpsInjectionHandleCreate0(AF_INET, FWPS_INJECTION_TYPE_TRANSPORT, handle)
    INJECTION_HANDLE = handle.value
    engine.add_callout(Callout(CALLOUT, LAYER))
    engine.register_callout(CALLOUT, classify)
    engine.add_filter(
        Filter(
            "tag mDNS queries",
            LAYER,
            "CALLOUT_TERMINATING",
            [Condition("IP_PROTOCOL", "EQUAL", 17), Condition("IP_REMOTE_PORT", "EQUAL", 5353)],
            callout=CALLOUT,
        )
    )
