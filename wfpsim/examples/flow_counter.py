"""A per-flow byte counter: flow contexts doing real work, as WFPSampler's flow association does.

:class:`FlowCounterDriver` registers three callouts:

* at ``ALE_FLOW_ESTABLISHED_V4`` (once per flow): a counter record is made, kept in the
  driver's table under a new non-zero number — the "pointer" of a C driver — and that number is
  associated with the flow (``FwpsFlowAssociateContext0``) for the callout at the data layer the
  flow will use: ``STREAM_V4`` for TCP, ``DATAGRAM_DATA_V4`` for UDP;
* at ``STREAM_V4`` and ``DATAGRAM_DATA_V4`` (registered ``FWP_CALLOUT_FLAG_CONDITIONAL_ON_FLOW``:
  called only for flows that have their context): the engine hands the number back as
  ``flow_context``; the callout adds the payload bytes to ``sent`` or ``received``;
* their ``flowDeleteFn``, called when the flow ends, reports the totals (DbgPrint) and drops
  the record.

The payload size at each layer is the C driver's arithmetic: at ``STREAM`` the stream data's
``data_length``; at ``DATAGRAM_DATA`` the net buffer's data length from the current offset —
which sits at the UDP header on the way out (minus ``transport_header_size``) and at the payload
on the way in. Every callout only watches (``FWP_ACTION_CONTINUE``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.ids import (
    FWP_ACTION_CONTINUE,
    FWP_CALLOUT_FLAG_CONDITIONAL_ON_FLOW,
    FWP_DIRECTION_OUTBOUND,
    FWPS_LAYER_DATAGRAM_DATA_V4,
    FWPS_LAYER_STREAM_V4,
    STATUS_SUCCESS,
)
from wfpsim.kernel import DbgPrint, FwpsFlowAssociateContext0
from wfpsim.objects import Callout, Filter
from wfpsim.stack.layerdata import NetBufferList, StreamCalloutIoPacket
from wfpsim.values import format_ipv4

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.session import Session

ESTABLISHED_GUID = uuid.UUID("5b2f0c1e-8a44-4d0e-9f6a-1c0de0f10001")
STREAM_GUID = uuid.UUID("5b2f0c1e-8a44-4d0e-9f6a-1c0de0f10002")
DATAGRAM_GUID = uuid.UUID("5b2f0c1e-8a44-4d0e-9f6a-1c0de0f10003")
TCP, UDP = 6, 17


@dataclass(slots=True)
class FlowBytes:
    """One flow's counter record (what the context number stands for)."""

    flow_id: int
    protocol: str
    remote: str
    sent: int = 0
    received: int = 0


class FlowCounterDriver:
    """Count payload bytes per flow across ``STREAM_V4`` and ``DATAGRAM_DATA_V4``."""

    name = "FlowCounter"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None
        #: context number -> counter record of a live flow
        self.records: dict[int, FlowBytes] = {}
        #: records of the flows that ended, in the order their flowDeleteFn ran
        self.finished: list[FlowBytes] = []
        self.stream_id = 0
        self.datagram_id = 0
        self._next_context = 0x1000

    def driver_entry(self) -> int:
        """Register the three callouts, add them and a filter for each."""
        with self.engine.kernel_context():
            register = self.engine.register_callout
            register(ESTABLISHED_GUID, self.on_established)
            flags = FWP_CALLOUT_FLAG_CONDITIONAL_ON_FLOW
            self.stream_id = register(STREAM_GUID, self.on_data, None, self.flow_delete, flags)
            self.datagram_id = register(DATAGRAM_GUID, self.on_data, None, self.flow_delete, flags)
            self.session = self.engine.open_session(self.name, dynamic=True)
            with self.session.transaction():
                for key, layer in (
                    (ESTABLISHED_GUID, "ALE_FLOW_ESTABLISHED_V4"),
                    (STREAM_GUID, "STREAM_V4"),
                    (DATAGRAM_GUID, "DATAGRAM_DATA_V4"),
                ):
                    self.session.add_callout(Callout(f"flow counter at {layer}", layer, key))
                    self.session.add_filter(
                        Filter(f"count bytes at {layer}", layer, "CALLOUT_INSPECTION", callout=key)
                    )
            DbgPrint("%s loaded", self.name)
            return STATUS_SUCCESS

    def unload(self) -> None:
        """Close the session and unregister (flows still open keep their contexts: busy)."""
        with self.engine.kernel_context():
            if self.session is not None:
                self.session.close()
                self.session = None
            for key in (ESTABLISHED_GUID, STREAM_GUID, DATAGRAM_GUID):
                self.engine.unregister_callout(key)

    # -- classifyFn at ALE_FLOW_ESTABLISHED_V4 ---------------------------------------------
    def on_established(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        """A new flow: make its record and associate it with the data layer's callout."""
        classify_out.action_type = FWP_ACTION_CONTINUE
        protocol = in_fixed_values.get("IP_PROTOCOL")
        flow = in_meta_values.flow_handle
        if protocol not in (TCP, UDP) or not in_meta_values.has("FLOW_HANDLE") or flow is None:
            return
        remote = in_fixed_values["IP_REMOTE_ADDRESS"].uint32
        record = FlowBytes(
            flow,
            "TCP" if protocol == TCP else "UDP",
            f"{format_ipv4(remote)}:{in_fixed_values.get('IP_REMOTE_PORT')}",
        )
        context = self._next_context
        self._next_context += 1
        if protocol == TCP:
            layer, callout = FWPS_LAYER_STREAM_V4, self.stream_id
        else:
            layer, callout = FWPS_LAYER_DATAGRAM_DATA_V4, self.datagram_id
        status = FwpsFlowAssociateContext0(flow, layer, callout, context)
        if status != STATUS_SUCCESS:
            DbgPrint("flow %d: FwpsFlowAssociateContext0 failed, status 0x%08x", flow, status)
            return
        self.records[context] = record

    # -- classifyFn at STREAM_V4 and DATAGRAM_DATA_V4 -------------------------------------
    def on_data(
        self,
        in_fixed_values: IncomingValues,
        in_meta_values: MetaValues,
        layer_data: object,
        classify_context: object,
        filter: KernelFilter,
        flow_context: int,
        classify_out: ClassifyOut,
    ) -> None:
        """Add this segment's or datagram's payload bytes to the flow's record."""
        classify_out.action_type = FWP_ACTION_CONTINUE
        record = self.records.get(flow_context)
        if record is None:
            return
        if isinstance(layer_data, StreamCalloutIoPacket):
            size, outbound = layer_data.data_length, layer_data.outbound
        elif isinstance(layer_data, NetBufferList):
            outbound = in_fixed_values.get("DIRECTION") == FWP_DIRECTION_OUTBOUND
            size = len(layer_data.current)  # NET_BUFFER_DATA_LENGTH
            if outbound:  # the offset is at the UDP header on the way out
                size -= in_meta_values.transport_header_size
        else:
            return
        if outbound:
            record.sent += size
        else:
            record.received += size

    # -- flowDeleteFn ------------------------------------------------------------------------
    def flow_delete(self, layer_id: int, callout_id: int, flow_context: int) -> None:
        """The flow ended: report its totals and drop the record."""
        record = self.records.pop(flow_context, None)
        if record is None:
            return
        DbgPrint(
            "flow %d (%s to %s): %d bytes sent, %d received",
            record.flow_id,
            record.protocol,
            record.remote,
            record.sent,
            record.received,
        )
        self.finished.append(record)


__all__ = ["FlowBytes", "FlowCounterDriver"]
