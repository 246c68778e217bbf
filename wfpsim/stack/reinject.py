"""Carrying injected packets through the stack: where a copy re-enters, and injection loops.

A callout injects with :mod:`wfpsim.injection`; the kernel queues the call. Right after the
classification that made it, the conversation hands the queue to its :class:`Reinjector`:

* A copy injected while the classification **blocked** the original takes the original's
  place. It re-enters at the documented point of its injection function (Microsoft's *Packet
  Injection Functions*: outgoing packets "reenter from the top of the stack and WFP layers",
  incoming ones "from the bottom") and crosses every packet layer from there down (or up) to
  the layer it was injected from — the layers the original crossed, in the same order, with
  the same fields and metadata; only the net buffer list's injection history differs. The
  stack then carries the copy on from there instead of the original.
* The ALE layers are crossed again only when the flow is not authorized yet (the documented
  "ALE receive or accept layer (optional)"); ``STREAM`` is never re-entered by a packet
  injection (it sees stream data, not packets).
* **Our choice**: a copy injected while the original was permitted would make two packets;
  it is recorded in :attr:`Journey.injections <wfpsim.stack.journey.Journey.injections>` and
  completed, not carried. A copy injected in the other direction (a send injection from a
  receive-path layer) is completed with ``STATUS_NOT_SUPPORTED`` and recorded, not carried.
* A handle that injects the same packet more than
  :data:`~wfpsim.injection.INJECTION_LOOP_LIMIT` times is in an injection loop: the next copy
  is dropped and the loop is reported as the fault of the callout that made the call.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from wfpsim.errors import WfpError
from wfpsim.ids import (
    FWP_DIRECTION_OUTBOUND,
    STATUS_INVALID_PARAMETER,
    STATUS_NOT_SUPPORTED,
    STATUS_SUCCESS,
    STATUS_UNSUCCESSFUL,
)
from wfpsim.injection import (
    FORWARD_FUNCTION,
    INJECTION_LOOP_LIMIT,
    Injection,
    InjectionMark,
    complete,
    injection_state,
)
from wfpsim.objects import Action
from wfpsim.stack.core import FLAG_IS_REAUTHORIZE, Crossing
from wfpsim.stack.journey import InjectedCopy, InjectionEvent, Step
from wfpsim.stack.layerdata import NetBufferList, StreamCalloutIoPacket
from wfpsim.stack.packets import Packet

if TYPE_CHECKING:
    from wfpsim.stack.conversation import Conversation

#: Where each injection function's packet re-enters: the packet layers it crosses, in order.
SEND_TOP = (
    "ALE_AUTH_CONNECT",
    "DATAGRAM_DATA",
    "OUTBOUND_TRANSPORT",
    "OUTBOUND_ICMP_ERROR",
    "OUTBOUND_IPPACKET",
)
NETWORK_SEND = ("OUTBOUND_IPPACKET",)
RECEIVE_BOTTOM = (
    "INBOUND_IPPACKET",
    "INBOUND_TRANSPORT",
    "INBOUND_ICMP_ERROR",
    "ALE_AUTH_RECV_ACCEPT",
    "ALE_FLOW_ESTABLISHED",
    "DATAGRAM_DATA",
)
REENTRY = {
    "FwpsInjectTransportSendAsync0": SEND_TOP,
    "FwpsInjectNetworkSendAsync0": NETWORK_SEND,
    "FwpsInjectTransportReceiveAsync0": RECEIVE_BOTTOM,
    "FwpsInjectNetworkReceiveAsync0": RECEIVE_BOTTOM,
}
ALE_LAYERS = ("ALE_AUTH_CONNECT", "ALE_AUTH_RECV_ACCEPT", "ALE_FLOW_ESTABLISHED")


@dataclass(frozen=True, slots=True)
class Copy:
    """An injected packet the stack carries: its bytes, its history and who injected it."""

    packet: Packet
    history: tuple[InjectionMark, ...]
    info: InjectedCopy


def read_packet(data: bytes) -> Packet:
    """The IP packet in a net buffer list, lengths and checksums made right.

    **Our choice**: a callout that changed a packet's size need not fix the IP, UDP lengths or
    any checksum (as if the stack recomputed them); the bytes must still be an IP packet.

    Raises:
        InvalidParameterError: the bytes are not an IPv4/IPv6 packet wfpsim reads.
    """
    raw = bytearray(data)
    head, proto = 0, -1
    if len(raw) >= 20 and raw[0] >> 4 == 4:
        raw[2:4], head, proto = len(raw).to_bytes(2, "big"), 20, raw[9]
    elif len(raw) >= 40 and raw[0] >> 4 == 6:
        raw[4:6], head, proto = (len(raw) - 40).to_bytes(2, "big"), 40, raw[6]
    if proto == 17 and len(raw) >= head + 8:
        raw[head + 4 : head + 6] = (len(raw) - head).to_bytes(2, "big")
    return Packet.from_bytes(bytes(raw)).finalized()


def with_copy(x: Crossing, copy: Copy, root: Packet) -> Crossing:
    """The crossing ``x`` with the injected copy in place of the packet it carried."""
    pkt = copy.packet
    layer_data: object
    if isinstance(x.layer_data, StreamCalloutIoPacket):
        raw, layer_data = x.raw, x.layer_data  # the stream data is the stream's, not the copy's
    else:
        raw = pkt.to_bytes()
        layer_data = NetBufferList(raw, x.data_offset or 0, copy.history)
    event = x.event if x.event.endswith("(injected)") else f"{x.event} (injected)"
    return replace(
        x, packet=pkt, raw=raw, layer_data=layer_data, injection=copy.info, origin=root, event=event
    )


class Reinjector:
    """One conversation's injected packets: what each packet crossed, which copy replaced it."""

    def __init__(self, conversation: Conversation) -> None:
        self.conv = conversation
        self.state = injection_state(conversation.core.engine.kernel)
        #: (id of the carried packet, direction) -> (packet, its crossings by layer base)
        self.trails: dict[tuple[int, int], tuple[Packet, dict[str, Crossing]]] = {}
        #: (id of the carried packet, direction) -> the copy now carried instead
        self.copies: dict[tuple[int, int], Copy] = {}
        #: (id of the carried packet, direction, handle id) -> injections of that packet's line
        self.lines: dict[tuple[int, int, int], int] = {}
        #: id(step) -> (step, outcome, the crossing as made) for steps whose callouts injected
        self.outcomes: dict[int, tuple[Step, bool | None, Crossing]] = {}
        #: id(step) of blocked steps already indicated at their discard twin
        self.discarded: set[int] = set()

    # -- before and after each crossing --------------------------------------------------
    def prepare(self, x: Crossing) -> Crossing:
        """Put the copy that replaced this packet in its place; remember the crossing."""
        if x.packet is None or x.discard is not None:
            return x
        root = x.origin or x.packet
        key = (id(root), x.direction)
        if x.origin is None and key in self.copies:
            x = with_copy(x, self.copies[key], root)
        if not x.flags & FLAG_IS_REAUTHORIZE:
            self.trails.setdefault(key, (root, {}))[1].setdefault(x.base, x)
        return x

    def mark(self) -> int:
        """Where the kernel's injection queue ends before a classification."""
        return len(self.state.queue)

    def after(self, step: Step, x: Crossing, mark: int) -> None:
        """Carry what the classification at ``step`` injected; record faults it left."""
        queued, self.state.queue[mark:] = self.state.queue[mark:], []
        if queued:
            blocked = step.action == Action.BLOCK and x.discard is None
            if blocked and x.packet is not None and not self.conv.redirect_layer(step):
                # the original is dropped (and shown at the discard twin) when its classification
                # returns; the copies are injected asynchronously and cross the layers after it
                self.conv.core.discard_of(self.conv.journey, x, step)
                self.discarded.add(id(step))
            outcome = self.carry_all(step, x, queued)
            self.outcomes[id(step)] = (step, outcome, x)
        self._collect_problems()

    def already_discarded(self, step: Step) -> bool:
        """True (once) when :meth:`after` already indicated ``step``'s block at the discard
        twin, before carrying the copies its callouts injected."""
        if id(step) in self.discarded:
            self.discarded.discard(id(step))
            return True
        return False

    def outcome(self, step: Step) -> tuple[bool | None, Crossing] | None:
        """(outcome, crossing) when callouts injected at ``step``; outcome True: a copy took
        the blocked packet's place and goes on, False: its copy was stopped, None: no copy
        replaced it."""
        found = self.outcomes.pop(id(step), None)
        if found is None or found[0] is not step:
            return None
        return found[1], found[2]

    def carried(self, pkt: Packet, direction: int) -> Packet:
        """The packet that left in ``pkt``'s place (an injected copy, or ``pkt`` itself)."""
        copy = self.copies.get((id(pkt), direction))
        return copy.packet if copy is not None else pkt

    # -- carrying -------------------------------------------------------------------------
    def carry_all(self, step: Step, x: Crossing, queued: list[Injection]) -> bool | None:
        """Each queued injection in turn; the first that can takes a blocked original's place."""
        outcome: bool | None = None
        for injection in queued:
            replaces = step.action == Action.BLOCK and outcome is None
            result = self.carry(injection, step, x, replaces)
            if replaces and result is not None:
                outcome = result
        return outcome

    def carry(self, inj: Injection, step: Step, x: Crossing, replaces: bool) -> bool | None:
        """Carry one injection; True/False when it replaced the original, else None."""
        if inj.function == FORWARD_FUNCTION:
            self._finish(inj, step, STATUS_SUCCESS, "forwarded: not indicated to any WFP layer")
            return None
        outbound = x.direction == FWP_DIRECTION_OUTBOUND
        root = x.origin or x.packet
        if root is None or isinstance(x.layer_data, StreamCalloutIoPacket) or x.base == "STREAM":
            why = "not carried: packet injection from a layer without a packet (STREAM injects "
            self._finish(inj, step, STATUS_NOT_SUPPORTED, why + "with FwpsStreamInjectAsync0)")
            return None
        if inj.outbound != outbound:
            way = "send" if inj.outbound else "receive"
            path = "send" if outbound else "receive"
            fate = f"not carried: a {way} injection from a {path}-path layer is not modelled"
            self._finish(inj, step, STATUS_NOT_SUPPORTED, fate)
            return None
        history = inj.net_buffer_list.injected
        times = sum(1 for mark in history if mark.handle_id == inj.handle.handle_id)
        # a deep copy (FwpsAllocateNetBufferAndNetBufferList0) starts a new history: count the
        # injections of this packet's line by this handle as well
        line = (id(root), x.direction, inj.handle.handle_id)
        self.lines[line] = self.lines.get(line, 0) + 1
        times = max(times, self.lines[line])
        if times > INJECTION_LOOP_LIMIT:
            self._loop(inj, step, times - 1)
            return False if replaces else None
        if not replaces:
            fate = "recorded, not carried: the original went on too (a second packet)"
            self._finish(inj, step, STATUS_SUCCESS, fate)
            return None
        try:
            packet = read_packet(inj.net_buffer_list.data)
        except WfpError as err:
            self._finish(inj, step, STATUS_INVALID_PARAMETER, f"not carried: {err.message}")
            return False
        info = InjectedCopy(inj.callout, inj.function, inj.handle.handle_id, len(history))
        copy = Copy(packet, history, info)
        return self._replay(inj, step, x, root, copy)

    def _replay(self, inj: Injection, step: Step, x: Crossing, root: Packet, copy: Copy) -> bool:
        """Cross the layers from the re-entry point to the injecting layer with the copy."""
        key = (id(root), x.direction)
        trail = self.trails.get(key, (root, {}))[1]
        entry = REENTRY[inj.function]
        replay = []
        for base, template in trail.items():
            flow = template.ep.flow
            authorized = flow is not None and flow.active
            if base in entry and not (base in ALE_LAYERS and authorized):
                replay.append(template)
            if base == x.base:
                break
        before = self.copies.get(key)
        ok, stopped = True, ""
        journey = self.conv.journey
        event = self._event(inj, step, "carrying")
        for template in replay:
            xr = with_copy(template, copy, root)
            s = self.conv.step(xr)
            if not self.conv.let_through(s, xr):
                ok, stopped = False, s.layer
                break
        if ok and self.copies.get(key) is before:
            self.copies[key] = copy
        where = replay[0].base if replay else "the next layer"
        fate = f"re-entered at {where}" + (f", stopped at {stopped}" if stopped else ", carried on")
        journey.injections[event] = replace(journey.injections[event], fate=fate)
        self._complete(inj, STATUS_SUCCESS, fate)
        return ok

    # -- records ---------------------------------------------------------------------------
    def _event(self, inj: Injection, step: Step, fate: str) -> int:
        events = self.conv.journey.injections
        events.append(InjectionEvent(inj.callout, inj.function, step.layer, fate))
        return len(events) - 1

    def _finish(self, inj: Injection, step: Step, status: int, fate: str) -> None:
        self._event(inj, step, fate)
        self._complete(inj, status, fate)

    def _complete(self, inj: Injection, status: int, fate: str) -> None:
        fault = complete(self.conv.core.engine.kernel, inj, status, fate)
        if fault:
            self.conv.journey.faults.append(fault)

    def _loop(self, inj: Injection, step: Step, times: int) -> None:
        who = f"callout {inj.callout!r}" if inj.callout else "a driver"
        fault = (
            f"{who}: injection loop at {step.layer}: its own packet came back {times} times and "
            f"it blocked it and injected it again each time ({inj.function}). On Windows this "
            "never ends. Ask FwpsQueryPacketInjectionState0 first and let packets "
            "FWPS_PACKET_INJECTED_BY_SELF or FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF pass "
            "(FWP_ACTION_PERMIT behind a terminating filter, FWP_ACTION_CONTINUE behind an "
            "inspection one)."
        )
        journey = self.conv.journey
        journey.faults.append(fault)
        if step.index < len(journey.steps) and journey.steps[step.index] is step:
            journey.steps[step.index] = replace(step, note=f"injection loop: {who} (dropped)")
        self._finish(inj, step, STATUS_UNSUCCESSFUL, "dropped: injection loop")

    def _collect_problems(self) -> None:
        if self.state.problems:
            self.conv.journey.faults.extend(self.state.problems)
            self.state.problems.clear()


__all__ = ["Copy", "Reinjector", "read_packet", "with_copy"]
