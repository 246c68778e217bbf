"""Packet injection, the C API's shape in Python: clone, block and absorb, re-inject.

A callout that changes traffic does what WFPSampler's injection scenarios do: it clones the
packet (``FwpsAllocateCloneNetBufferList0``), blocks the original with
``FWPS_CLASSIFY_OUT_FLAG_ABSORB`` (silently: no drop event), and injects the clone
(``FwpsInjectTransportSendAsync0`` and its siblings). The clone re-enters classification — the
same callout sees it again — so the callout first asks ``FwpsQueryPacketInjectionState0`` and
lets its own packets (``FWPS_PACKET_INJECTED_BY_SELF`` / ``…_PREVIOUSLY_INJECTED_BY_SELF``) pass::

    from wfpsim.injection import (FwpsAllocateCloneNetBufferList0, FwpsInjectTransportSendAsync0,
                                  FwpsQueryPacketInjectionState0, Out)

    def classify(in_fixed_values, in_meta_values, layer_data, classify_context, filter,
                 flow_context, classify_out):
        state = FwpsQueryPacketInjectionState0(INJECTION_HANDLE, layer_data)
        if state in (FWPS_PACKET_INJECTED_BY_SELF, FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF):
            classify_out.action_type = FWP_ACTION_CONTINUE    # our own copy: let it go
            return
        clone = Out()
        FwpsAllocateCloneNetBufferList0(layer_data, None, None, 0, clone)
        status = FwpsInjectTransportSendAsync0(
            INJECTION_HANDLE, None, in_meta_values.transport_endpoint_handle, 0, None,
            AF_INET, in_meta_values.compartment_id, clone.value, completion, None)
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE

The signatures are the C ones, parameter for parameter. A C out-parameter is an :class:`Out`
cell: pass ``Out()``, read ``.value`` (``FwpsQueryPacketInjectionState0`` returns the state, as
in C, and fills its optional ``injection_context`` cell). Functions returning ``NTSTATUS``
return an int; nothing here raises for a driver's mistake — a bad argument is a status, as in
the kernel.

Where the injected packet goes (:mod:`wfpsim.stack.reinject` carries it):

* ``FwpsInjectTransportSendAsync0``: back to the *top* of the send path (Microsoft's *Packet
  Injection Functions*: "injected outgoing packets reenter from the top of the stack and WFP
  layers"): ``ALE_AUTH_CONNECT`` (only if the flow is not authorized yet), ``DATAGRAM_DATA``,
  ``OUTBOUND_TRANSPORT``, ``OUTBOUND_IPPACKET``.
* ``FwpsInjectTransportReceiveAsync0`` and ``FwpsInjectNetworkReceiveAsync0``: back to the
  *bottom* of the receive path ("injected incoming packets reenter from the bottom"):
  ``INBOUND_IPPACKET``, ``INBOUND_TRANSPORT``, ``ALE_AUTH_RECV_ACCEPT`` (only for a flow not yet
  authorized), ``DATAGRAM_DATA`` or ``STREAM``.
* ``FwpsInjectNetworkSendAsync0``: the network layer of the send path, ``OUTBOUND_IPPACKET``
  (**our choice**: the function injects a whole IP packet below the transport; Microsoft's
  table names "the network layer" as its point, not the layers above it).
* ``FwpsInjectForwardAsync0``: "not indicated to any WFP layer" (its Remarks): the packet leaves
  unclassified. wfpsim's host forwards nothing, so it is accepted, completed and recorded.

Choices where Microsoft is silent, all **our choice**:

* Injection is *asynchronous*: the call queues the packet and returns ``STATUS_SUCCESS``; the
  stack carries it once the classification that injected it has ended (so a classifyFn never
  re-enters the engine). The completion function runs when the copy has crossed the layers
  up to the one it was injected from, with ``dispatch_level`` True and the net buffer list's
  ``status`` set (``STATUS_SUCCESS``, or the reason it was not carried).
* A copy replaces the original when the classification that injected it **blocked** the
  original (absorbed or not): the stack then carries the copy on from there. A copy injected
  while the original was *permitted* would be a second packet; wfpsim records it in the journey
  but does not carry it further.
* An injected copy is classified with the same fields and metadata as the original at each
  layer (Microsoft documents no field that differs); only its net buffer list's injection
  history differs, which is what ``FwpsQueryPacketInjectionState0`` reads. Lengths and
  checksums of an injected packet are recomputed (as if checksum offload were on).
* A net buffer list here holds the whole packet: ``data`` from the IP header on, and
  ``data_offset``. Packet injection from ``STREAM`` is refused (its ``layer_data`` is stream
  data, not a net buffer list; ``FwpsStreamInjectAsync0`` is how a stream callout injects).
* **Loops.** A callout that does not check the injection state blocks and re-injects its own
  copy every time it comes back; in Windows that never ends. wfpsim refuses the
  :data:`INJECTION_LOOP_LIMIT` + 1-th injection of the same packet by the same handle, drops the
  packet and reports an injection loop as that callout's fault, with the explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from wfpsim.ids import (
    AF_INET,
    AF_INET6,
    AF_UNSPEC,
    FWPS_INJECTION_TYPE_FORWARD,
    FWPS_INJECTION_TYPE_NETWORK,
    FWPS_INJECTION_TYPE_TRANSPORT,
    STATUS_FWP_INJECT_HANDLE_CLOSING,
    STATUS_FWP_INJECT_HANDLE_STALE,
    STATUS_FWP_NULL_POINTER,
    STATUS_FWP_TCPIP_NOT_READY,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    PacketInjectionState,
)
from wfpsim.injection_records import (
    FORWARD_FUNCTION,
    INJECTION_LOOP_LIMIT,
    RECEIVE_FUNCTIONS,
    SEND_FUNCTIONS,
    Injection,
    InjectionHandle,
    InjectionMark,
    InjectionState,
    TransportSendParams,
    complete,
    injection_state,
)
from wfpsim.kernel import current_kernel
from wfpsim.netbuffers import (
    NET_BUFFER_LIST_FIRST_NB,
    FwpsAllocateCloneNetBufferList0,
    FwpsAllocateNetBufferAndNetBufferList0,
    FwpsFreeCloneNetBufferList0,
    FwpsFreeNetBufferList0,
    NdisAdvanceNetBufferDataStart,
    NdisRetreatNetBufferDataStart,
    Out,
    as_nbl,
    is_out,
)

if TYPE_CHECKING:
    from wfpsim.stack.layerdata import NetBufferList


def _state() -> InjectionState | None:
    kernel = current_kernel()
    return injection_state(kernel) if kernel is not None else None


def _set(out: object, value: object) -> None:
    if isinstance(out, Out):
        out.value = value


# -- handles --------------------------------------------------------------------------------
def FwpsInjectionHandleCreate0(
    address_family: int, flags: int, injection_handle: Out[InjectionHandle]
) -> int:
    """Create an injection handle for ``flags`` (``FWPS_INJECTION_TYPE_*``; 0: transport,
    stream and forward) and one address family (``AF_INET``, ``AF_INET6``, ``AF_UNSPEC``).

    Outside an engine's kernel context it returns ``STATUS_FWP_TCPIP_NOT_READY`` (there is no
    stack to inject into), as Windows does before TCP/IP has loaded.
    """
    state = _state()
    if state is None:
        return STATUS_FWP_TCPIP_NOT_READY
    if address_family not in (AF_UNSPEC, AF_INET, AF_INET6) or not isinstance(flags, int):
        return STATUS_INVALID_PARAMETER
    if not is_out(injection_handle):
        return STATUS_FWP_NULL_POINTER
    state.next_handle += 4
    handle = InjectionHandle(state.next_handle, address_family, flags)
    state.handles[handle.handle_id] = handle
    injection_handle.value = handle
    return STATUS_SUCCESS


def FwpsInjectionHandleDestroy0(injection_handle: InjectionHandle) -> int:
    """Destroy a handle: later injections with it fail with ``STATUS_FWP_INJECT_HANDLE_CLOSING``."""
    handle: object = injection_handle  # a driver may pass anything
    if not isinstance(handle, InjectionHandle):
        return STATUS_INVALID_PARAMETER
    handle.destroyed = True
    return STATUS_SUCCESS


# -- injection state ------------------------------------------------------------------------
def FwpsQueryPacketInjectionState0(
    injection_handle: InjectionHandle,
    net_buffer_list: NetBufferList | None,
    injection_context: Out[object] | None = None,
) -> PacketInjectionState:
    """Who injected this packet, seen from ``injection_handle``.

    ``FWPS_PACKET_INJECTED_BY_SELF`` when this handle injected it last,
    ``FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF`` when it did earlier and someone re-injected it
    since, ``FWPS_PACKET_INJECTED_BY_OTHER`` when only other handles did, otherwise
    ``FWPS_PACKET_NOT_INJECTED``. For "self" states the ``injectionContext`` given at injection
    is put in ``injection_context``. ``layer_data`` that is no net buffer list (None, stream
    data) is ``FWPS_PACKET_NOT_INJECTED`` (**our choice**: it carries no injection history).
    """
    nbl = as_nbl(net_buffer_list)
    if nbl is None or not isinstance(injection_handle, InjectionHandle):
        return PacketInjectionState.NOT_INJECTED
    history: tuple[InjectionMark, ...] = nbl.injected
    if not history:
        return PacketInjectionState.NOT_INJECTED
    mine = injection_handle.handle_id
    if history[-1].handle_id == mine:
        if injection_context is not None:
            _set(injection_context, history[-1].context)
        return PacketInjectionState.INJECTED_BY_SELF
    for mark in reversed(history[:-1]):
        if mark.handle_id == mine:
            if injection_context is not None:
                _set(injection_context, mark.context)
            return PacketInjectionState.PREVIOUSLY_INJECTED_BY_SELF
    return PacketInjectionState.INJECTED_BY_OTHER


# -- the injection functions ----------------------------------------------------------------
def _inject(
    function: str,
    kind: int,
    handle: object,
    injection_context: object,
    value: object,
    completion_fn: object,
    completion_context: object,
    address_family: int = AF_UNSPEC,
    endpoint_handle: int | None = None,
    interface_index: int = 0,
    needs_ip_header: bool = False,
) -> int:
    state = _state()
    if state is None:
        return STATUS_FWP_TCPIP_NOT_READY
    if not isinstance(handle, InjectionHandle):
        return STATUS_INVALID_PARAMETER
    if handle.destroyed:
        return STATUS_FWP_INJECT_HANDLE_CLOSING
    if not handle.allows(kind):
        return STATUS_FWP_INJECT_HANDLE_STALE  # not created for this injection type
    nbl = as_nbl(value)
    if nbl is None or not callable(completion_fn):
        return STATUS_FWP_NULL_POINTER if value is None else STATUS_INVALID_PARAMETER
    if nbl.freed or (needs_ip_header and nbl.data_offset != 0):
        return STATUS_INVALID_PARAMETER  # "must begin with an IP header"
    version = _ip_version(nbl.data)
    family = address_family or handle.address_family
    if version is None or (family and family != (AF_INET if version == 4 else AF_INET6)):
        return STATUS_INVALID_PARAMETER
    kernel = current_kernel()
    running = kernel.running_callouts if kernel is not None else []
    nbl.injected = (*nbl.injected, InjectionMark(handle.handle_id, injection_context))
    record = Injection(
        function,
        handle,
        injection_context,
        nbl,
        completion_fn,
        completion_context,
        callout=running[-1] if running else "",
        endpoint_handle=endpoint_handle,
        address_family=family,
        interface_index=interface_index,
    )
    state.queue.append(record)
    state.made.append(record)
    return STATUS_SUCCESS


def _ip_version(data: bytes) -> int | None:
    """4 or 6 when ``data`` starts like an IP packet, else None."""
    if len(data) >= 20 and data[0] >> 4 == 4:
        return 4
    if len(data) >= 40 and data[0] >> 4 == 6:
        return 6
    return None


def FwpsInjectTransportSendAsync0(
    injection_handle: InjectionHandle,
    injection_context: object,
    endpoint_handle: int,
    flags: int,
    send_args: TransportSendParams | None,
    address_family: int,
    compartment_id: int,
    net_buffer_list: NetBufferList,
    completion_fn: Callable[[object, NetBufferList, bool], object],
    completion_context: object,
) -> int:
    """Inject into the send path above the transport (from OUTBOUND_TRANSPORT, outbound
    DATAGRAM_DATA, OUTBOUND_ICMP_ERROR or ALE_AUTH_CONNECT)."""
    return _inject(
        "FwpsInjectTransportSendAsync0",
        FWPS_INJECTION_TYPE_TRANSPORT,
        injection_handle,
        injection_context,
        net_buffer_list,
        completion_fn,
        completion_context,
        address_family,
        endpoint_handle,
    )


def FwpsInjectTransportReceiveAsync0(
    injection_handle: InjectionHandle,
    injection_context: object,
    reserved: object,
    flags: int,
    address_family: int,
    compartment_id: int,
    interface_index: int,
    sub_interface_index: int,
    net_buffer_list: NetBufferList,
    completion_fn: Callable[[object, NetBufferList, bool], object],
    completion_context: object,
) -> int:
    """Inject into the receive path; the net buffer list must start at the IP header (retreat
    it first: ``NdisRetreatNetBufferDataStart`` by the header sizes in the metadata)."""
    return _inject(
        "FwpsInjectTransportReceiveAsync0",
        FWPS_INJECTION_TYPE_TRANSPORT,
        injection_handle,
        injection_context,
        net_buffer_list,
        completion_fn,
        completion_context,
        address_family,
        interface_index=interface_index,
        needs_ip_header=True,
    )


def FwpsInjectNetworkSendAsync0(
    injection_handle: InjectionHandle,
    injection_context: object,
    flags: int,
    compartment_id: int,
    net_buffer_list: NetBufferList,
    completion_fn: Callable[[object, NetBufferList, bool], object],
    completion_context: object,
) -> int:
    """Inject a whole IP packet into the send path at the network layer (a handle created
    with ``FWPS_INJECTION_TYPE_NETWORK`` and the packet's address family)."""
    return _inject(
        "FwpsInjectNetworkSendAsync0",
        FWPS_INJECTION_TYPE_NETWORK,
        injection_handle,
        injection_context,
        net_buffer_list,
        completion_fn,
        completion_context,
        needs_ip_header=True,
    )


def FwpsInjectNetworkReceiveAsync0(
    injection_handle: InjectionHandle,
    injection_context: object,
    flags: int,
    compartment_id: int,
    interface_index: int,
    sub_interface_index: int,
    net_buffer_list: NetBufferList,
    completion_fn: Callable[[object, NetBufferList, bool], object],
    completion_context: object,
) -> int:
    """Inject a whole IP packet into the receive path at the network layer."""
    return _inject(
        "FwpsInjectNetworkReceiveAsync0",
        FWPS_INJECTION_TYPE_NETWORK,
        injection_handle,
        injection_context,
        net_buffer_list,
        completion_fn,
        completion_context,
        interface_index=interface_index,
        needs_ip_header=True,
    )


def FwpsInjectForwardAsync0(
    injection_handle: InjectionHandle,
    injection_context: object,
    flags: int,
    address_family: int,
    compartment_id: int,
    interface_index: int,
    net_buffer_list: NetBufferList,
    completion_fn: Callable[[object, NetBufferList, bool], object],
    completion_context: object,
) -> int:
    """Inject into the forwarding path: the packet is not classified at any WFP layer."""
    return _inject(
        FORWARD_FUNCTION,
        FWPS_INJECTION_TYPE_FORWARD,
        injection_handle,
        injection_context,
        net_buffer_list,
        completion_fn,
        completion_context,
        address_family,
        interface_index=interface_index,
        needs_ip_header=True,
    )


__all__ = [
    "FORWARD_FUNCTION",
    "INJECTION_LOOP_LIMIT",
    "NET_BUFFER_LIST_FIRST_NB",
    "RECEIVE_FUNCTIONS",
    "SEND_FUNCTIONS",
    "FwpsAllocateCloneNetBufferList0",
    "FwpsAllocateNetBufferAndNetBufferList0",
    "FwpsFreeCloneNetBufferList0",
    "FwpsFreeNetBufferList0",
    "FwpsInjectForwardAsync0",
    "FwpsInjectNetworkReceiveAsync0",
    "FwpsInjectNetworkSendAsync0",
    "FwpsInjectTransportReceiveAsync0",
    "FwpsInjectTransportSendAsync0",
    "FwpsInjectionHandleCreate0",
    "FwpsInjectionHandleDestroy0",
    "FwpsQueryPacketInjectionState0",
    "Injection",
    "InjectionHandle",
    "InjectionMark",
    "InjectionState",
    "NdisAdvanceNetBufferDataStart",
    "NdisRetreatNetBufferDataStart",
    "Out",
    "TransportSendParams",
    "complete",
    "injection_state",
]
