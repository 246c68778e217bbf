"""The stream layer at work: indications, NEED_MORE_DATA, partial enforcement, injected data.

Each direction of a TCP connection's local end has a :class:`Channel`. A segment's payload is
added to what the channel holds and indicated at ``STREAM_V4/V6`` as an
:class:`~wfpsim.stack.layerdata.StreamCalloutIoPacket`; the callouts' answers decide what
goes on (Microsoft Learn, *FWPS_STREAM_CALLOUT_IO_PACKET0* and *Stream Inspection*):

* ``FWPS_STREAM_ACTION_NEED_MORE_DATA``: the data is held; the next indication comes when
  ``count_bytes_required`` bytes are there (held plus new), with all of them. A FIN
  indicates what is held at once, with ``FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA``.
* ``FWPS_STREAM_ACTION_NONE``: the layer's action applies to the first
  ``count_bytes_enforced`` bytes (0: all); the rest is indicated again straight away.
  PERMIT passes them on; BLOCK takes them out of the stream.
* ``FWPS_STREAM_ACTION_ALLOW_CONNECTION``: the data passes; the flow is not indicated again.
* ``FWPS_STREAM_ACTION_DROP_CONNECTION``: the connection ends (documented for an
  ``FWP_ACTION_CALLOUT_UNKNOWN`` filter; **our choice**: a terminating filter's drops too);
  an inspection filter's is ignored ("the connection will not be dropped").
* ``FWPS_STREAM_ACTION_DEFER`` (inbound only): the data waits, unacknowledged, until the
  callout calls ``FwpsStreamContinue0``.
* Data injected with ``FwpsStreamInjectAsync0`` during an indication goes into the stream at
  that point; it is indicated once more for callouts in lower-weight sublayers only.

Choices where Microsoft is silent, all **our choice**: ``count_bytes_required`` is the total
the next indication must hold (as the *Stream Inspection* page and the stmedit sample use
it), and at least one byte more than is held; a stream action with an action other than
``FWP_ACTION_NONE``, DEFER outbound, NEED_MORE_DATA with NO_MORE_DATA, DROP_CONNECTION from an
inspection filter, an undocumented stream action or a ``count_bytes_enforced`` larger than the
data are reported as the callout's fault and the stream action is then ignored (or, for the
first, applied and the action ignored, as documented); a BLOCK with nothing injected in its
place ends the application's send (the journey's verdict is BLOCK); ``missed_bytes`` is 0;
held NEED_MORE_DATA data is acknowledged to the peer, deferred data is not; an injection with
a DISCONNECT flag sets FIN on the segment that carries the released data (the application's own
close still follows). Microsoft's *waterfall model* is kept within one indication: once a
callout blocked the data, later callouts are not called for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from wfpsim.errors import WfpError
from wfpsim.ids import (
    FWP_DIRECTION_INBOUND,
    FWP_DIRECTION_OUTBOUND,
    FWPS_CLASSIFY_OUT_FLAG_BUFFER_LIMIT_REACHED,
    FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA,
    FWPS_STREAM_FLAG_RECEIVE,
    FWPS_STREAM_FLAG_RECEIVE_DISCONNECT,
    FWPS_STREAM_FLAG_SEND,
    FWPS_STREAM_FLAG_SEND_DISCONNECT,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    STREAM_BUFFER_LIMIT,
    StreamActionType,
)
from wfpsim.objects import Action
from wfpsim.stack.journey import StreamEvent
from wfpsim.stack.layerdata import (
    NetBufferList,
    StreamCalloutIoPacket,
    StreamData,
    StreamDataOffset,
)
from wfpsim.stack.packets import Packet, TcpFlags, TCPHeader, tcp_segment
from wfpsim.stack.streamchannel import Channel, Settled
from wfpsim.streams import StreamInjection, complete_stream, stream_action_name, stream_state

if TYPE_CHECKING:
    from wfpsim.stack.core import Endpoint
    from wfpsim.stack.journey import Step
    from wfpsim.stack.packetpath import PacketPath
    from wfpsim.trace import FilterStep

A = StreamActionType
#: How deep injected data may be indicated again (an injection of an injection …).
INJECTION_DEPTH = 4
__all__ = ["INJECTION_DEPTH", "Channel", "Settled", "StreamPath", "stream_flags"]


class StreamPath:
    """The stream channels of one TCP conversation."""

    def __init__(self, conv: PacketPath) -> None:
        self.conv = conv
        self.kernel = conv.core.engine.kernel
        self.state = stream_state(self.kernel)
        self.channels: dict[tuple[int, bool], Channel] = {}
        self.allowed_ends: set[int] = set()
        #: False after a send whose data the receiver did not acknowledge (held or deferred)
        self.ack_due = True
        #: id(segment) -> the segment that left the sender's stream layer instead (None: held)
        self.replaced: dict[int, Packet | None] = {}

    def channel(self, ep: Endpoint, outbound: bool) -> Channel:
        found = self.channels.get((id(ep), outbound))
        if found is None:
            found = self.channels[(id(ep), outbound)] = Channel(self, ep, outbound)
        if ep.flow is not None:
            self.state.channels[(ep.flow.flow_id, outbound)] = found
        return found

    # -- entry points from the packet path ------------------------------------------------
    def send(self, ep: Endpoint, pkt: Packet, event: str, fin: bool) -> bool:
        """Outbound: False when the send ends; else what leaves is in :meth:`carried`."""
        ch = self.channel(ep, True)
        ch.from_opener = ep is self.conv.a
        verdict = ch.segment(pkt, event, fin)
        if not verdict.ok:
            return False
        verdict.fin, ch.fin_injected = verdict.fin or ch.fin_injected, False
        if not verdict.data and not verdict.fin:
            self.replaced[id(pkt)] = None
            self.ack_due = False  # nothing went on the wire
            return True
        self.replaced[id(pkt)] = self.rebuild(ch, pkt, verdict)
        return True

    def carried(self, pkt: Packet) -> Packet | None:
        """The segment that left instead of ``pkt`` (None: held at the stream layer)."""
        return self.replaced.pop(id(pkt), pkt)

    def receive(self, ep: Endpoint, pkt: Packet, event: str, fin: bool) -> bool:
        """Inbound: the data released at the stream layer goes to the application."""
        ch = self.channel(ep, False)
        ch.from_opener = ep is not self.conv.a
        verdict = ch.segment(pkt, event, fin)
        if verdict.ok and verdict.data:
            self.deliver(ch, verdict.data)
        return verdict.ok

    def wire(self, src: Endpoint, pkt: Packet) -> None:
        """A segment reached a peer that is not on this host: its data is delivered."""
        if pkt.payload:
            event = StreamEvent(
                "delivered", "wire", True, pkt.payload, "" if src is self.conv.a else "reply"
            )
            self.conv.journey.streams.append(event)

    # -- helpers ---------------------------------------------------------------------------
    def rebuild(self, ch: Channel, pkt: Packet, verdict: Settled) -> Packet:
        """The segment carrying what the stream layer released (sequence from the first held)."""
        first = ch.template or pkt
        t = first.transport
        if not isinstance(t, TCPHeader) or (verdict.data == pkt.payload and first is pkt):
            return pkt
        flags = TcpFlags.ACK | (TcpFlags.PSH if verdict.data else 0)
        flags |= TcpFlags.FIN if verdict.fin else 0
        ack = pkt.transport.ack if isinstance(pkt.transport, TCPHeader) else t.ack
        return tcp_segment(
            first.ip.src, first.ip.dst, t.sport, t.dport, flags, t.seq, ack, verdict.data
        )

    def classify(
        self,
        ch: Channel,
        data: bytes,
        event: str,
        fin: bool,
        injection: StreamInjection | None = None,
    ) -> tuple[Step, StreamCalloutIoPacket, list[StreamInjection]]:
        """One indication at STREAM; returns the step, the io packet and what was injected."""
        conv = self.conv
        direction = FWP_DIRECTION_OUTBOUND if ch.outbound else FWP_DIRECTION_INBOUND
        flags = stream_flags(ch.outbound, fin)
        given = FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA if fin else 0
        if len(data) >= STREAM_BUFFER_LIMIT:
            given |= FWPS_CLASSIFY_OUT_FLAG_BUFFER_LIMIT_REACHED
        if injection is not None and injection.net_buffer_list is not None:
            source = injection.net_buffer_list  # its history says who injected the data
            nbl = NetBufferList(data, 0, source.injected, parent=source)
            offset = StreamDataOffset(nbl, nbl, nbl.data, 0, 0, ch.position)
            io = StreamCalloutIoPacket(StreamData(flags, offset, len(data), nbl))
            io.given(given, injection.callout_id, self.skipper(injection.callout_id, ch))
        else:
            io = StreamCalloutIoPacket.of(data, flags, 0, ch.position)
            io.given(given)
        pkt = ch.template
        x = conv.crossing(
            "STREAM", ch.ep, event, direction, packet=pkt, raw=data, data_offset=0, layer_data=io
        )
        mark = len(self.state.queue)
        step = conv.step(x)
        queued, self.state.queue[mark:] = self.state.queue[mark:], []
        self.collect()
        found = step.layer_data if isinstance(step.layer_data, StreamCalloutIoPacket) else io
        return step, found, queued

    def answer(self, step: Step, io: StreamCalloutIoPacket, fin: bool, outbound: bool) -> A:
        """The stream action that applies, after reporting a callout's wrong answer."""
        raw = io.stream_action
        who = io.writers.get("stream_action", "")
        if not who or raw == A.NONE:
            return A.NONE
        name = stream_action_name(raw)
        call = self.call_of(step, who)
        if call is not None and call.callout is not None:
            returned = call.callout.returned_action
            if returned != int(Action.NONE):
                shown = (
                    Action(returned).fwp_name
                    if returned in set(map(int, Action))
                    else hex(returned)
                )
                self.fault(
                    step,
                    f"callout {who!r} set streamAction {name} and returned {shown}: with a "
                    "stream action a classifyFn returns FWP_ACTION_NONE (Windows ignores the "
                    f"returned action; {name} applies)",
                )
        problem = ""
        if not isinstance(raw, int) or raw not in (
            A.NEED_MORE_DATA,
            A.ALLOW_CONNECTION,
            A.DEFER,
            A.DROP_CONNECTION,
        ):
            problem = f"set streamAction {name}, which is no documented action for a callout"
        elif raw == A.DEFER and outbound:
            problem = "set FWPS_STREAM_ACTION_DEFER on an outbound stream (inbound only)"
        elif raw == A.NEED_MORE_DATA and fin:
            problem = (
                "asked for more data (FWPS_STREAM_ACTION_NEED_MORE_DATA) although "
                "FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA was set: no more data will come"
            )
        elif (
            raw == A.DROP_CONNECTION
            and call is not None
            and call.action == Action.CALLOUT_INSPECTION
        ):
            problem = (
                "set FWPS_STREAM_ACTION_DROP_CONNECTION from an FWP_ACTION_CALLOUT_INSPECTION "
                "filter: the connection is not dropped (use FWP_ACTION_CALLOUT_UNKNOWN)"
            )
        if problem:
            self.fault(step, f"callout {who!r} {problem}; the stream action is ignored")
            return A.NONE
        return A(raw)

    def enforced(self, step: Step, io: StreamCalloutIoPacket, size: int) -> int:
        """``count_bytes_enforced`` as a byte count (0 or unset: all ``size`` bytes)."""
        value = io.count_bytes_enforced
        if not isinstance(value, int) or value < 0 or value > size:
            who = io.writers.get("count_bytes_enforced", "a callout")
            self.fault(
                step,
                f"callout {who!r} set countBytesEnforced {value!r} for {size} "
                "indicated bytes; all of them are enforced",
            )
            return size
        return value or size

    def carry(
        self, ch: Channel, step: Step, queued: list[StreamInjection], fin: bool, depth: int
    ) -> tuple[bytes, bool]:
        """Data injected during an indication, as lower-weight sublayers let it through."""
        out = b""
        for inj in queued:
            mine = ch.ep.flow is not None and inj.flow_id == ch.ep.flow.flow_id
            if not mine or inj.outbound != ch.outbound:
                self.complete(inj, STATUS_INVALID_PARAMETER, "not carried: not this stream")
                continue
            self.note("injected", ch, inj.data, f"by {inj.callout or 'a driver'}", step.index)
            if depth >= INJECTION_DEPTH:
                self.conv.journey.faults.append(
                    f"callout {inj.callout!r}: stream injection loop at {step.layer}: injected "
                    "data was injected again and again; dropped"
                )
                self.complete(inj, STATUS_INVALID_PARAMETER, "dropped: injection loop")
                continue
            if inj.disconnect:  # the documented FIN: ends this direction after the data
                ch.fin_injected = True
                self.note("injected", ch, b"", "FIN (a DISCONNECT stream flag)", step.index)
            if inj.data:
                verdict = ch.indicate(inj.data, "data (injected)", fin, inj, depth + 1)
                if not verdict.ok:
                    self.complete(inj, STATUS_SUCCESS, "carried; the connection then ended")
                    return out, False
                out += verdict.data
            self.complete(inj, STATUS_SUCCESS, "carried in the stream")
        return out, True

    def skipper(self, callout_id: int, ch: Channel) -> Callable[[object], bool]:
        """Skip callouts in sublayers not lighter than the injecting callout's (documented)."""
        engine = self.conv.core.engine
        reg = engine.registration(callout_id)
        key = reg.key if reg is not None else None
        weights = [
            self.weight(f)
            for f in engine.store.filters.values()
            if key is not None and f.callout == key
        ]
        limit = max(weights) if weights else 0x10000

        def skip(flt: object) -> bool:
            return getattr(flt, "callout", None) is not None and self.weight(flt) >= limit

        return skip

    def weight(self, flt: object) -> int:
        """The weight of the filter's sublayer."""
        try:
            ref = getattr(flt, "sublayer", None)
            return self.conv.core.engine.store.find_sublayer(ref).weight  # type: ignore[arg-type]
        except WfpError:  # no sublayer: the default one, weight 0
            return 0

    # -- records and outcomes -------------------------------------------------------------
    def call_of(self, step: Step, callout: str) -> FilterStep | None:
        """The filter step whose callout is ``callout`` (the last one called)."""
        found = None
        for st in step.classification.matched_steps():
            if st.callout is not None and st.callout.callout == callout:
                found = st
        return found

    def callout_id(self, step: Step, io: StreamCalloutIoPacket) -> int:
        """The run-time id of the callout that set the stream action."""
        st = self.call_of(step, io.writers.get("stream_action", ""))
        if st is None:
            return 0
        flt = self.conv.core.engine.store.find_filter(st.filter_id)
        reg = self.conv.core.engine.registration(flt.callout)
        return reg.callout_id if reg is not None else 0

    def fault(self, step: Step, text: str) -> None:
        journey = self.conv.journey
        journey.faults.append(text)
        if step.index < len(journey.steps) and journey.steps[step.index] is step:
            journey.steps[step.index] = replace(step, note=text.split(";")[0])

    def note(
        self, kind: str, ch: Channel, data: bytes, detail: str, step: Step | int | None = None
    ) -> None:
        """Record a stream event (and put it on the step it belongs to)."""
        layer = f"STREAM_V{self.conv.version}"
        index = step.index if not isinstance(step, (int, type(None))) else step
        self.conv.journey.streams.append(StreamEvent(kind, layer, ch.outbound, data, detail, index))
        steps = self.conv.journey.steps
        if index is not None and index < len(steps) and not steps[index].note:
            steps[index] = replace(steps[index], note=f"{kind}: {len(data)} bytes — {detail}")

    def deliver(self, ch: Channel, data: bytes) -> None:
        """The receiving application reads ``data``."""
        if data:
            who = "" if ch.from_opener else "reply"
            layer = f"STREAM_V{self.conv.version}"
            self.conv.journey.streams.append(StreamEvent("delivered", layer, False, data, who))

    def acknowledge(self, ep: Endpoint) -> None:
        """After FwpsStreamContinue0: the receiver acknowledges the data it held back."""
        conv = self.conv
        seg = getattr(conv, "seg", None)
        if seg is None or conv.failed or conv.closed:
            return
        peer = conv.peer_of(ep)
        conv.transmit(ep, peer, seg(ep, peer, TcpFlags.ACK), "ACK (after FwpsStreamContinue0)")

    def drop(self, ch: Channel, step: Step, io: StreamCalloutIoPacket) -> None:
        who = io.writers.get("stream_action", "")
        self.note("dropped", ch, b"", f"DROP_CONNECTION by {who!r}: the stack resets it", step)
        journey = self.conv.journey
        journey.block(step)
        st = self.call_of(step, who)
        if journey.decided_at == step.layer and st is not None:
            journey.decided_by = journey.decided_by or st.name

    def allow(self, ep: Endpoint) -> None:
        self.allowed_ends.add(id(ep))

    def allowed(self, ep: Endpoint) -> bool:
        return id(ep) in self.allowed_ends

    def complete(self, injection: StreamInjection, status: int, fate: str) -> None:
        fault = complete_stream(self.kernel, injection, status, fate)
        if fault:
            self.conv.journey.faults.append(fault)

    def collect(self) -> None:
        if self.state.problems:
            self.conv.journey.faults.extend(self.state.problems)
            self.state.problems.clear()


def stream_flags(outbound: bool, fin: bool) -> int:
    """``FWPS_STREAM_DATA0.flags``: the direction, and DISCONNECT with a FIN (WDK
    *FWPS_STREAM_DATA0*: "the inbound data has arrived with the FIN flag set")."""
    if outbound:
        return FWPS_STREAM_FLAG_SEND | (FWPS_STREAM_FLAG_SEND_DISCONNECT if fin else 0)
    return FWPS_STREAM_FLAG_RECEIVE | (FWPS_STREAM_FLAG_RECEIVE_DISCONNECT if fin else 0)
