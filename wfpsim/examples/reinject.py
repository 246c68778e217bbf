"""A clone / block / re-inject driver, the pattern every packet-modifying callout uses.

:class:`CloneReinjectDriver` registers one callout at ``OUTBOUND_TRANSPORT_V4`` behind a filter
for one remote port. Its classifyFn does what WFPSampler's basic packet injection does:

1. ask ``FwpsQueryPacketInjectionState0`` — a packet it injected itself comes back here, and it
   lets that one go (``FWP_ACTION_PERMIT``: behind a terminating filter, ``FWP_ACTION_CONTINUE``
   would count as a block);
2. otherwise clone the packet (``FwpsAllocateCloneNetBufferList0``), optionally rewrite the
   copy's payload, inject it (``FwpsInjectTransportSendAsync0``), and block the original with
   ``FWPS_CLASSIFY_OUT_FLAG_ABSORB`` (a silent drop: no net event, no discard layer);
3. the completion function frees the clone (``FwpsFreeCloneNetBufferList0``).

:class:`InjectionLoopDriver` is the same driver with step 1 forgotten: its copy comes back, is
cloned and injected again, and again — the injection loop wfpsim reports as its fault.
Every call logs a DbgPrint line, so a scenario's ``expect.log`` can follow it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.conditions import Condition
from wfpsim.errors import WfpError
from wfpsim.ids import (
    AF_INET,
    FWP_ACTION_BLOCK,
    FWP_ACTION_PERMIT,
    FWPS_CLASSIFY_OUT_FLAG_ABSORB,
    FWPS_INJECTION_TYPE_TRANSPORT,
    FWPS_PACKET_INJECTED_BY_SELF,
    FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF,
    FWPS_RIGHT_ACTION_WRITE,
    STATUS_FAILED_DRIVER_ENTRY,
    STATUS_SUCCESS,
)
from wfpsim.injection import (
    FwpsAllocateCloneNetBufferList0,
    FwpsAllocateNetBufferAndNetBufferList0,
    FwpsFreeCloneNetBufferList0,
    FwpsFreeNetBufferList0,
    FwpsInjectionHandleCreate0,
    FwpsInjectionHandleDestroy0,
    FwpsInjectTransportSendAsync0,
    FwpsQueryPacketInjectionState0,
    InjectionHandle,
    Out,
)
from wfpsim.kernel import DbgPrint
from wfpsim.objects import Callout, Filter
from wfpsim.stack.layerdata import NetBufferList
from wfpsim.stack.packets import Packet

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.session import Session

REINJECT_CALLOUT_GUID = uuid.UUID("7d0a3a52-5a7e-4c0b-9d55-3f3c8a1e0b01")


class CloneReinjectDriver:
    """Clone, block and absorb, re-inject every outbound IPv4 packet to ``remote_port``.

    Attributes:
        remote_port: the filter's ``IP_REMOTE_PORT`` condition.
        check_injection_state: ask ``FwpsQueryPacketInjectionState0`` first (the fix).
        rewrite: when set, the copy carries this payload instead (modification: a deep copy
            with ``FwpsAllocateNetBufferAndNetBufferList0``).
    """

    name = "CloneReinject"
    callout_name = "clone-reinject"
    remote_port = 53
    check_injection_state = True
    rewrite: bytes | None = None

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None
        self.injection_handle: InjectionHandle | None = None
        self.injected = 0

    # -- DriverEntry / DriverUnload ---------------------------------------------------------
    def driver_entry(self) -> int:
        """Create the injection handle, register the callout, add callout and filter."""
        with self.engine.kernel_context():
            handle: Out[InjectionHandle] = Out()
            status = FwpsInjectionHandleCreate0(AF_INET, FWPS_INJECTION_TYPE_TRANSPORT, handle)
            if status != STATUS_SUCCESS:
                DbgPrint("FwpsInjectionHandleCreate0 failed, status 0x%08x", status)
                return STATUS_FAILED_DRIVER_ENTRY
            self.injection_handle = handle.value
            try:
                self.engine.register_callout(REINJECT_CALLOUT_GUID, self.classify, None, None)
                self.session = self.engine.open_session(self.name, dynamic=True)
                with self.session.transaction():
                    self.session.add_callout(
                        Callout(self.callout_name, "OUTBOUND_TRANSPORT_V4", REINJECT_CALLOUT_GUID)
                    )
                    self.session.add_filter(
                        Filter(
                            f"{self.callout_name} port {self.remote_port}",
                            "OUTBOUND_TRANSPORT_V4",
                            "CALLOUT_TERMINATING",
                            conditions=[Condition("IP_REMOTE_PORT", "EQUAL", self.remote_port)],
                            callout=REINJECT_CALLOUT_GUID,
                        )
                    )
            except WfpError as err:
                DbgPrint("%s failed to load, status 0x%08x", self.name, err.status)
                return STATUS_FAILED_DRIVER_ENTRY
            DbgPrint("%s loaded", self.name)
            return STATUS_SUCCESS

    def unload(self) -> None:
        """Close the session (its filters go), unregister, destroy the injection handle."""
        with self.engine.kernel_context():
            if self.session is not None:
                self.session.close()
                self.session = None
            self.engine.unregister_callout(REINJECT_CALLOUT_GUID)
            if self.injection_handle is not None:
                FwpsInjectionHandleDestroy0(self.injection_handle)
            DbgPrint("%s unloaded after %d injections", self.name, self.injected)

    # -- the callout -------------------------------------------------------------------------
    def classify(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        """Let our own copies pass; clone, inject and absorb everything else."""
        if not classify_out.rights & FWPS_RIGHT_ACTION_WRITE:
            return
        handle = self.injection_handle
        if handle is None:  # DriverEntry did not run (or DriverUnload did): leave the packet be
            return
        if self.check_injection_state:
            state = FwpsQueryPacketInjectionState0(handle, layer_data)  # type: ignore[arg-type]
            if state in (FWPS_PACKET_INJECTED_BY_SELF, FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF):
                DbgPrint("%s: our own packet came back: let it go", self.name)
                classify_out.action_type = FWP_ACTION_PERMIT  # a terminating filter: not CONTINUE
                return
        copy: Out[NetBufferList] = Out()
        status = self.make_copy(layer_data, copy)
        if status != STATUS_SUCCESS or copy.value is None:
            DbgPrint("%s: no copy (status 0x%08x): the packet goes on untouched", self.name, status)
            return
        status = FwpsInjectTransportSendAsync0(
            handle,
            None,
            in_meta_values.transport_endpoint_handle or 0,
            0,
            None,
            AF_INET,
            in_meta_values.compartment_id,
            copy.value,
            self.completion,
            None,
        )
        if status != STATUS_SUCCESS:
            DbgPrint("%s: injection failed, status 0x%08x", self.name, status)
            self.free(copy.value)
            return
        self.injected += 1
        DbgPrint("%s: cloned, injected and absorbed a packet", self.name)
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.flags |= FWPS_CLASSIFY_OUT_FLAG_ABSORB
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE

    def make_copy(self, layer_data: object, copy: Out[NetBufferList]) -> int:
        """A clone, or (``rewrite`` set) a new net buffer list with the payload replaced."""
        if self.rewrite is None or not isinstance(layer_data, NetBufferList):
            return FwpsAllocateCloneNetBufferList0(layer_data, None, None, 0, copy)  # type: ignore[arg-type]
        packet = Packet.from_bytes(layer_data.data)
        changed = Packet(packet.ip, packet.transport, self.rewrite).to_bytes()
        offset = layer_data.data_offset
        return FwpsAllocateNetBufferAndNetBufferList0(
            None, 0, 0, changed, offset, len(changed) - offset, copy
        )

    def completion(
        self, context: object, net_buffer_list: NetBufferList, dispatch_level: bool
    ) -> None:
        """``completionFn``: the copy is in the stack; free it."""
        self.free(net_buffer_list)

    def free(self, net_buffer_list: NetBufferList) -> None:
        """Free a clone or a deep copy with the matching function."""
        if net_buffer_list.parent is not None:
            FwpsFreeCloneNetBufferList0(net_buffer_list, 0)
        else:
            FwpsFreeNetBufferList0(net_buffer_list)


class InjectionLoopDriver(CloneReinjectDriver):
    """The same driver, without the injection-state check: its own copy loops back."""

    name = "InjectionLoop"
    callout_name = "reinject-without-check"
    check_injection_state = False


class RewriteDriver(CloneReinjectDriver):
    """Modifies traffic: every datagram to port 53 leaves with the payload ``rewritten``."""

    name = "Rewrite"
    callout_name = "rewrite-payload"
    rewrite = b"rewritten"


__all__ = ["CloneReinjectDriver", "InjectionLoopDriver", "RewriteDriver"]
