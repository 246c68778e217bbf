"""A stream inspector that needs more data: block an HTTP request by its request line.

:class:`RequestInspectorDriver` watches what an application sends to ``remote_port`` at
``STREAM_V4``. The request line (``GET /admin HTTP/1.1`` up to its ``\\r\\n``) may arrive in
several segments, so a decision on the first piece would be a guess:

* no ``\\r\\n`` yet: ``FWPS_STREAM_ACTION_NEED_MORE_DATA`` with ``count_bytes_required`` one
  byte more than it has (the engine indicates again once more data is there, with all of it),
  and ``FWP_ACTION_NONE``: with a stream action set, the returned action is ignored;
* a forbidden path: ``FWPS_STREAM_ACTION_DROP_CONNECTION`` (the filter is
  ``FWP_ACTION_CALLOUT_UNKNOWN``, the one filter action for which Microsoft documents it);
* anything else: ``FWPS_STREAM_ACTION_ALLOW_CONNECTION`` — the rest of the flow is not
  indicated again.

:class:`SloppyInspectorDriver` returns ``FWP_ACTION_BLOCK`` beside its stream actions: the action
is ignored and the mistake reported as the callout's fault. With ``need_more_data = False``
(:class:`HastyInspectorDriver`, the other pitfall) it decides on whatever the first segment holds:
``GET /ad`` names no forbidden path, the flow is allowed, and ``GET /admin`` goes through.
Each decision is logged with DbgPrint, so a scenario's ``expect.log`` can follow it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from wfpsim.callouts import ClassifyOut, IncomingValues, KernelFilter, MetaValues
from wfpsim.conditions import Condition
from wfpsim.errors import WfpError
from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWP_ACTION_NONE,
    FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA,
    FWPS_STREAM_ACTION_ALLOW_CONNECTION,
    FWPS_STREAM_ACTION_DROP_CONNECTION,
    FWPS_STREAM_ACTION_NEED_MORE_DATA,
    FWPS_STREAM_FLAG_SEND,
    STATUS_FAILED_DRIVER_ENTRY,
    STATUS_SUCCESS,
)
from wfpsim.injection import Out
from wfpsim.kernel import DbgPrint
from wfpsim.objects import Callout, Filter
from wfpsim.stack.layerdata import StreamCalloutIoPacket
from wfpsim.streams import FwpsCopyStreamDataToBuffer0

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.session import Session

INSPECTOR_GUID = uuid.UUID("3c5e2a8f-71d4-4b9e-8a26-5e0f6d1c2c01")


def request_line(data: bytes) -> bytes | None:
    """The first line of ``data`` when its ``\\r\\n`` has arrived, else None.

    >>> request_line(b"GET /ad"), request_line(b"GET /admin HTTP/1.1\\r\\nHost: x")
    (None, b'GET /admin HTTP/1.1')
    """
    end = data.find(b"\r\n")
    return data[:end] if end >= 0 else None


class RequestInspectorDriver:
    """Drop connections whose first request line names a ``forbidden`` path.

    Attributes:
        forbidden: request-path prefixes that drop the connection.
        remote_port: the filter's ``IP_REMOTE_PORT`` condition.
        need_more_data: wait for the whole request line (False: the pitfall).
    """

    name = "RequestInspector"
    forbidden: tuple[bytes, ...] = (b"/admin",)
    remote_port = 80
    need_more_data = True
    #: what classifyFn returns beside a stream action (FWP_ACTION_NONE, as documented)
    returned_action = FWP_ACTION_NONE

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session: Session | None = None
        self.decisions: list[tuple[bytes, str]] = []

    def driver_entry(self) -> int:
        """Register the callout, add it and its filter (``FWP_ACTION_CALLOUT_UNKNOWN``)."""
        with self.engine.kernel_context():
            try:
                self.engine.register_callout(INSPECTOR_GUID, self.classify, None, None)
                self.session = self.engine.open_session(self.name, dynamic=True)
                with self.session.transaction():
                    self.session.add_callout(
                        Callout("request inspector", "STREAM_V4", INSPECTOR_GUID)
                    )
                    self.session.add_filter(
                        Filter(
                            f"inspect requests to port {self.remote_port}",
                            "STREAM_V4",
                            "CALLOUT_UNKNOWN",
                            conditions=[Condition("IP_REMOTE_PORT", "EQUAL", self.remote_port)],
                            callout=INSPECTOR_GUID,
                        )
                    )
            except WfpError as err:
                DbgPrint("%s failed to load, status 0x%08x", self.name, err.status)
                return STATUS_FAILED_DRIVER_ENTRY
            DbgPrint("%s loaded", self.name)
            return STATUS_SUCCESS

    def unload(self) -> None:
        """Close the session and unregister."""
        with self.engine.kernel_context():
            if self.session is not None:
                self.session.close()
                self.session = None
            self.engine.unregister_callout(INSPECTOR_GUID)

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
        """Wait for the request line, then drop the connection or allow the flow."""
        if not isinstance(layer_data, StreamCalloutIoPacket):
            return
        data = layer_data.stream_data
        if not data.flags & FWPS_STREAM_FLAG_SEND or data.data_length == 0:
            return  # the server's answer, or a bare FIN: nothing to decide
        buffer = bytearray(data.data_length)
        copied: Out[int] = Out()
        FwpsCopyStreamDataToBuffer0(data, buffer, data.data_length, copied)
        seen = bytes(buffer[: copied.value or 0])
        line = request_line(seen)
        no_more = classify_out.flags & FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA
        classify_out.action_type = self.returned_action  # a stream action decides (below)
        if line is None and self.need_more_data and not no_more:
            layer_data.stream_action = FWPS_STREAM_ACTION_NEED_MORE_DATA
            layer_data.count_bytes_required = len(seen) + 1
            DbgPrint("%s: %d bytes, no request line yet: need more data", self.name, len(seen))
            return
        line = seen if line is None else line
        parts = line.split(b" ")
        path = parts[1] if len(parts) > 1 else b""
        if any(path.startswith(p) for p in self.forbidden):
            layer_data.stream_action = FWPS_STREAM_ACTION_DROP_CONNECTION
            verdict = "dropped"
        else:
            layer_data.stream_action = FWPS_STREAM_ACTION_ALLOW_CONNECTION
            verdict = "allowed"
        self.decisions.append((line, verdict))
        DbgPrint("%s: %s: %s", self.name, line.decode("latin-1"), verdict)


class HastyInspectorDriver(RequestInspectorDriver):
    """The pitfall: decides on the first segment, never asks for more data."""

    name = "HastyInspector"
    need_more_data = False


class SloppyInspectorDriver(RequestInspectorDriver):
    """The pitfall: returns ``FWP_ACTION_BLOCK`` beside its stream actions ("block until I know").
    Windows ignores the action; wfpsim does too and reports it as the callout's fault."""

    name = "SloppyInspector"
    returned_action = FWP_ACTION_BLOCK


__all__ = [
    "HastyInspectorDriver",
    "RequestInspectorDriver",
    "SloppyInspectorDriver",
    "request_line",
]
