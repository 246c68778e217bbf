"""Exercise 15 · reference solution.

An injected packet re-enters classification at the top of the send path (notebook 13), so the
callout that injected it sees it again. Three fixes:

* ask ``FwpsQueryPacketInjectionState0(INJECTION_HANDLE, layer_data)`` first; for
  ``FWPS_PACKET_INJECTED_BY_SELF`` or ``FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF`` answer
  ``FWP_ACTION_PERMIT`` and return (behind a terminating filter ``FWP_ACTION_CONTINUE`` would
  count as a block and the copy would die here);
* block the original with ``FWPS_CLASSIFY_OUT_FLAG_ABSORB``: it is replaced, not refused, so no
  drop event and no discard layer;
* free the copy in the completion function, with the function that matches how it was made
  (``FwpsFreeNetBufferList0`` for ``FwpsAllocateNetBufferAndNetBufferList0``).

The tag is added once because the copy — which already carries it — is recognised and let go.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter
from wfpsim.ids import (
    AF_INET,
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_INJECTION_TYPE_TRANSPORT,
    FWPS_PACKET_INJECTED_BY_SELF,
    FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF,
    FWPS_RIGHT_ACTION_WRITE,
)
from wfpsim.injection import (
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
    state = FwpsQueryPacketInjectionState0(INJECTION_HANDLE, layer_data)
    if state in (FWPS_PACKET_INJECTED_BY_SELF, FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF):
        classify_out.action_type = FWP_ACTION_PERMIT  # our own tagged copy: let it go
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
    classify_out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB  # replaced, not refused: silently
    classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE


def completion(context: Any, net_buffer_list: Any, dispatch_level: bool) -> None:
    """``completionFn``: the copy is in the stack."""
    DbgPrint("tagger: injection complete, status 0x%08x", net_buffer_list.status)
    FwpsFreeNetBufferList0(net_buffer_list)


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
