"""One direction of a local TCP end at the stream layer: held data and how each
indication settles it (:mod:`wfpsim.stack.streamio` has the rules and the choices)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wfpsim.ids import STATUS_SUCCESS, StreamActionType
from wfpsim.objects import Action

if TYPE_CHECKING:
    from wfpsim.stack.core import Endpoint
    from wfpsim.stack.packets import Packet
    from wfpsim.stack.streamio import StreamPath
    from wfpsim.streams import StreamInjection

A = StreamActionType


class Settled:
    """What one indication came to: ``ok`` False ends the send; ``data`` goes on."""

    __slots__ = ("data", "fin", "ok")

    def __init__(self, ok: bool, data: bytes = b"", fin: bool = False) -> None:
        self.ok, self.data, self.fin = ok, data, fin


class Channel:
    """One direction of one local end's stream: what it holds and why."""

    def __init__(self, path: StreamPath, ep: Endpoint, outbound: bool) -> None:
        self.path = path
        self.ep = ep
        self.outbound = outbound
        self.held = b""
        self.template: Packet | None = None
        self.required = 0
        self.deferred_by = 0  # callout id that deferred the stream (0: not deferred)
        self.position = 0  # bytes of this direction indicated and settled so far
        self.from_opener = True
        self.fin_injected = False  # FwpsStreamInjectAsync0 with a DISCONNECT flag

    # -- the stack's side ------------------------------------------------------------------
    def segment(self, pkt: Packet, event: str, fin: bool) -> Settled:
        """A segment's payload arrives at the stream layer."""
        path = self.path
        if self.template is None or not self.held:
            self.template = pkt
        if path.allowed(self.ep):
            if pkt.payload:
                path.note("allowed", self, pkt.payload, "not indicated: ALLOW_CONNECTION")
            return Settled(True, pkt.payload, fin)
        data = self.held + pkt.payload
        if self.deferred_by:
            self.held = data
            path.note("deferred", self, data, "queued: the stream is deferred")
            path.ack_due = False
            return Settled(True)
        if self.required and len(data) < self.required and not fin:
            self.held = data
            path.note("held", self, data, f"NEED_MORE_DATA: {len(data)} of {self.required}")
            return Settled(True)
        self.held, self.required = b"", 0
        return self.indicate(data, event, fin)

    def resume(self) -> None:
        """``FwpsStreamContinue0``: indicate the deferred data again and deliver what passes."""
        data, self.held, self.deferred_by = self.held, b"", 0
        self.path.note("resumed", self, data, "FwpsStreamContinue0")
        verdict = self.indicate(data, "data (resumed)", False)
        if verdict.ok:
            self.path.deliver(self, verdict.data)
        self.path.acknowledge(self.ep)

    def inject_now(self, injection: StreamInjection) -> None:
        """Data injected outside a classifyFn into this deferred stream: delivered at once."""
        self.path.note("injected", self, injection.data, f"by {injection.callout or 'a driver'}")
        self.path.deliver(self, injection.data)
        self.path.complete(injection, STATUS_SUCCESS, "delivered (outside classifyFn)")

    # -- indications -------------------------------------------------------------------------
    def indicate(
        self,
        data: bytes,
        event: str,
        fin: bool,
        injection: StreamInjection | None = None,
        depth: int = 0,
    ) -> Settled:
        """Indicate ``data`` until every byte is settled, held or the connection ends.

        ``injection``: the data was injected (indicated to lower-weight sublayers only; **our
        choice**: it is never held — NEED_MORE_DATA and DEFER on it are treated as NONE — and
        a BLOCK just takes it out again).
        """
        path, out = self.path, b""
        for _ in range(len(data) + 2):  # each round settles at least one byte
            step, io, queued = path.classify(self, data, event, fin, injection)
            answer = path.answer(step, io, fin, self.outbound)
            injected, injected_ok = path.carry(self, step, queued, fin, depth)
            if not injected_ok:
                return Settled(False)
            if injection is not None and answer in (A.NEED_MORE_DATA, A.DEFER):
                answer = A.NONE
            if answer == A.NEED_MORE_DATA:
                self.held = data
                self.required = max(int(io.count_bytes_required), len(data) + 1)
                path.note("held", self, data, f"NEED_MORE_DATA: waiting for {self.required}", step)
                return Settled(True, out + injected)
            if answer == A.DEFER:
                self.held, self.deferred_by = data, path.callout_id(step, io)
                path.note("deferred", self, data, "DEFER: until FwpsStreamContinue0", step)
                path.ack_due = False
                return Settled(True, out + injected)
            if answer == A.DROP_CONNECTION:
                path.drop(self, step, io)
                return Settled(False)
            if answer == A.ALLOW_CONNECTION:
                path.allow(self.ep)
                path.note("allowed", self, data, "ALLOW_CONNECTION", step)
                return Settled(True, out + data + injected, fin)
            size = path.enforced(step, io, len(data))
            part, data = data[:size], data[size:]
            self.position += size
            if data:
                path.note("partial", self, part, f"{len(data)} bytes indicated again", step)
            if step.action == Action.BLOCK:
                if not injected and injection is None:
                    path.note("blocked", self, part, "taken out of the stream", step)
                    path.conv.journey.block(step)
                    return Settled(False)
                why = "replaced by injected data" if injected else "injected data taken out"
                path.note("blocked", self, part, why, step)
                out += injected
            else:
                out += part + injected
            if not data:
                return Settled(True, out, fin)
            event = "data (indicated again)"
        return Settled(True, out + data, fin)  # not reached: every round settles a byte


__all__ = ["Channel", "Settled"]
