"""Inbound flow control with ``FWPS_STREAM_ACTION_DEFER`` and ``FwpsStreamContinue0``.

:class:`ThrottleDriver` stands for a callout that cannot keep up (it hands data to a slow
user-mode scanner, say). At ``STREAM_V4`` it answers every inbound indication for a local port
with ``FWPS_STREAM_ACTION_DEFER`` (and ``FWP_ACTION_NONE``) and notes the flow. Microsoft Learn,
*Stream Inspection*: deferring "causes the TCP/IP stack to stop ACK-processing incoming data",
so the sender sees no acknowledgement and its window closes. Later — outside any classifyFn,
when the scanner is ready — :meth:`ThrottleDriver.resume` calls ``FwpsStreamContinue0`` for each
deferred flow: the data is indicated again, the callout now permits it, and it is delivered
and acknowledged.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.conditions import Condition
from wfpsim.ids import (
    FWP_ACTION_NONE,
    FWP_ACTION_PERMIT,
    FWPS_STREAM_ACTION_DEFER,
    FWPS_STREAM_FLAG_RECEIVE,
    STATUS_SUCCESS,
)
from wfpsim.kernel import DbgPrint
from wfpsim.objects import Callout, Filter
from wfpsim.stack.layerdata import StreamCalloutIoPacket
from wfpsim.streams import FwpsStreamContinue0

if TYPE_CHECKING:
    from wfpsim.engine import Engine

THROTTLE_GUID = uuid.UUID("3c5e2a8f-71d4-4b9e-8a26-5e0f6d1c2d01")


class ThrottleDriver:
    """Defer inbound data to ``local_port`` until :meth:`resume` is called."""

    name = "Throttle"
    local_port = 8080

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        #: (flow id, callout id, layer id, stream flags) of each deferred stream
        self.deferred: list[tuple[int, int, int, int]] = []
        #: flows resumed once: their next indication is permitted
        self.resumed: set[int] = set()

    def driver_entry(self) -> int:
        """Register the callout, add it and a filter for the local port."""
        with self.engine.kernel_context():
            self.engine.register_callout(THROTTLE_GUID, self.classify, None, None)
        self.engine.add_callout(Callout("throttle", "STREAM_V4", THROTTLE_GUID))
        self.engine.add_filter(
            Filter(
                f"throttle port {self.local_port}",
                "STREAM_V4",
                "CALLOUT_TERMINATING",
                conditions=[Condition("IP_LOCAL_PORT", "EQUAL", self.local_port)],
                callout=THROTTLE_GUID,
            )
        )
        return STATUS_SUCCESS

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
        """Defer new inbound data; permit what comes back after FwpsStreamContinue0."""
        if not isinstance(layer_data, StreamCalloutIoPacket):
            return
        data, flow = layer_data.stream_data, in_meta_values.flow_handle or 0
        if (
            not data.flags & FWPS_STREAM_FLAG_RECEIVE
            or not data.data_length
            or flow in self.resumed
        ):
            self.resumed.discard(flow)
            classify_out.action_type = FWP_ACTION_PERMIT
            return
        layer_data.stream_action = FWPS_STREAM_ACTION_DEFER
        classify_out.action_type = FWP_ACTION_NONE
        self.deferred.append((flow, filter.action.callout_id, in_fixed_values.layer_id, data.flags))
        DbgPrint("%s: deferred %d bytes", self.name, data.data_length)

    def resume(self) -> list[int]:
        """``FwpsStreamContinue0`` for every deferred stream (outside classifyFn); the statuses."""
        statuses = []
        with self.engine.kernel_context():
            waiting, self.deferred = self.deferred, []
            for flow, callout_id, layer_id, flags in waiting:
                self.resumed.add(flow)
                statuses.append(FwpsStreamContinue0(flow, callout_id, layer_id, flags))
        return statuses


__all__ = ["ThrottleDriver"]
