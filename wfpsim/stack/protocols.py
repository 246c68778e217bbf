"""TCP, UDP and ICMP echo walks.

The order of the layers is Microsoft Learn's *TCP Packet Flows*, *UDP Packet Flows* and *ALE
Endpoint Lifetime Management* (the closure layers).

Sequence numbers start at 1000 for the opener and 5000 for the other side, so journeys are
the same every run.
"""

from __future__ import annotations

from wfpsim.catalog import Direction
from wfpsim.ids import (
    FWP_DIRECTION_INBOUND,
    FWP_DIRECTION_OUTBOUND,
    FWPS_DISCARD_MODULE_NETWORK,
    FWPS_DISCARD_MODULE_TRANSPORT,
    InetDiscardEndpointNotFound,
    IpDiscardPortUnreachable,
)
from wfpsim.objects import Action
from wfpsim.stack.core import Endpoint
from wfpsim.stack.packetpath import PacketPath
from wfpsim.stack.packets import Packet, TcpFlags, icmp_echo, tcp_rst_for, tcp_segment, udp_datagram

SYN, ACK, FIN, PSH, RST = TcpFlags.SYN, TcpFlags.ACK, TcpFlags.FIN, TcpFlags.PSH, TcpFlags.RST


class TcpConversation(PacketPath):
    """connect → handshake → data → FIN exchange → endpoint closure."""

    established = False

    def seg(self, src: Endpoint, dst: Endpoint, flags: TcpFlags, payload: bytes = b"") -> Packet:
        pkt = tcp_segment(
            src.addr.ip,
            dst.addr.ip,
            src.addr.port,
            dst.addr.port,
            flags,
            seq=src.seq,
            ack=dst.seq if flags & ACK else 0,
            payload=payload,
        )
        src.seq += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return pkt

    def open(self) -> None:
        """Bind, authorize and run the three-way handshake."""
        a, b = self.a, self.b
        if b.local and b.listening:
            self.listen(b)
        if a.local and not (self.bind(a) and self.authorize_connect(a, None)):
            self.failed = True
            return
        syn = self.seg(a, b, SYN)
        if a.local and not self.outbound_packet(a, syn, "SYN"):
            self.failed = True
            return
        if b.local and not self.accept(b, syn):
            self.failed = True
            return
        if not b.listening:
            self.refused(a, b, syn)
            return
        synack = self.seg(b, a, SYN | ACK)
        if b.local and not self.outbound_packet(b, synack, "SYN-ACK"):
            self.failed = True
            return
        final_ack = tcp_segment(
            a.addr.ip, b.addr.ip, a.addr.port, b.addr.port, ACK, seq=a.seq, ack=b.seq
        )
        if a.local and not (
            self.inbound_ippacket(a, synack, "SYN-ACK")
            and self.inbound_transport(a, synack, "SYN-ACK")
            and self.flow_established(a, final_ack, FWP_DIRECTION_OUTBOUND)
        ):
            self.failed = True
            return
        ack = self.seg(a, b, ACK)
        if a.local and not self.outbound_packet(a, ack, "ACK"):
            self.failed = True
            return
        if b.local and not (
            self.inbound_ippacket(b, ack, "ACK")
            and self.inbound_transport(b, ack, "ACK")
            and self.flow_established(b, ack, FWP_DIRECTION_INBOUND)
        ):
            self.failed = True
            return
        self.established = True

    def listen(self, b: Endpoint) -> None:
        """The receiver's bind and listen happen before the journey (recorded as setup)."""
        self.bind(b, setup=True)
        x = self.crossing("ALE_AUTH_LISTEN", b, "listen()", FWP_DIRECTION_INBOUND)
        step = self.step(x, setup=True)
        if step.action == Action.BLOCK:
            self.core.discard_of(self.journey, x, step)
            b.listening = False
            self.journey.notes.append(
                f"listen() on {b.addr} blocked by {step.classification.filter_name!r}: no listener"
            )

    def accept(self, b: Endpoint, syn: Packet) -> bool:
        """The SYN reaches this host: AUTH_RECV_ACCEPT, or the transport discard layer."""
        if not self.inbound_ippacket(b, syn, "SYN"):
            return False
        if not b.listening:
            self.closed_port(b, syn)
            return False
        if not self.inbound_transport(b, syn, "SYN", first=True):
            return False
        # [our choice] the accepted connection is a new endpoint from AUTH_RECV_ACCEPT on,
        # with its own handle; PARENT_ENDPOINT_HANDLE names the listener (WDK *ALE endpoint
        # lifetime management*: "a unique handle for the parent endpoint").
        b.parent_handle, b.handle = b.handle, self.core.engine.flow_table.next_handle()
        b.authorized = True
        x = self.packet_crossing(
            "ALE_AUTH_RECV_ACCEPT",
            b,
            "SYN: authorize",
            FWP_DIRECTION_INBOUND,
            syn,
            syn.payload_offset,
        )
        step = self.step(x)
        if not self.let_through(step, x):
            return False
        self.new_flow(b, Direction.INBOUND, step.layer)
        return True

    def closed_port(self, b: Endpoint, syn: Packet) -> None:
        """No listener: INBOUND_TRANSPORT_DISCARD, then a RST unless a filter blocked there."""
        if self.no_listener_discard(
            b,
            syn,
            "SYN",
            "INBOUND_TRANSPORT",
            FWPS_DISCARD_MODULE_TRANSPORT,
            InetDiscardEndpointNotFound,
            syn.payload_offset,
        ):
            rst = tcp_rst_for(syn)
            if self.outbound_packet(b, rst, "RST") and self.a.local:
                self.inbound_ippacket(self.a, rst, "RST")
                self.inbound_transport(self.a, rst, "RST")
        self.failed = True

    def refused(self, a: Endpoint, b: Endpoint, syn: Packet) -> None:
        """The peer has no listener: its RST comes back and connect() fails."""
        rst = tcp_rst_for(syn)
        if a.local and self.inbound_ippacket(a, rst, "RST"):
            self.inbound_transport(a, rst, "RST")
        self.journey.drop(None, f"connection refused: {b.addr} answered with a RST")
        self.failed = True
        self.closure(a, release=True)

    def send(self, payload: bytes, from_opener: bool = True) -> bool:
        """Data over the established connection, then the other side's ACK."""
        if not self.established or self.failed:
            return False
        src, dst = (self.a, self.b) if from_opener else (self.b, self.a)
        data = self.seg(src, dst, PSH | ACK, payload)
        self.streams.ack_due = True
        if not self.transmit(src, dst, data, "data", "STREAM"):
            self.failed = True
            return False
        if not self.streams.ack_due:
            return True  # held or deferred at a stream layer: no ACK yet (wfpsim.stack.streamio)
        if not self.transmit(dst, src, self.seg(dst, src, ACK), "ACK"):
            self.failed = True
            return False
        return True

    def close(self) -> None:
        """FIN from the opener, FIN-ACK back, last ACK; then each local endpoint closes."""
        if self.closed:
            return
        self.closed = True
        a, b = self.a, self.b
        if self.established and not self.failed:
            ok = self.transmit(a, b, self.seg(a, b, FIN | ACK), "FIN", "STREAM")
            ok = ok and self.transmit(b, a, self.seg(b, a, FIN | ACK), "FIN", "STREAM")
            ok = ok and self.transmit(a, b, self.seg(a, b, ACK), "ACK")
        if a.local and (a.bound or a.authorized):
            self.closure(a, release=True)
        if b.local and b.authorized:
            self.closure(b, release=False)


class DatagramConversation(PacketPath):
    """UDP datagrams or ICMP echoes: ALE once per remote peer, then the packet layers."""

    def open(self) -> None:
        """UDP binds (the receiver's bind is setup); ICMP echo needs no bind."""
        if self.kind == "udp":
            if self.b.local and self.b.listening:
                self.bind(self.b, setup=True)
            if self.a.local:
                self.bind(self.a)
        self.sequence = 0

    def make(self, src: Endpoint, dst: Endpoint, payload: bytes, reply: bool = False) -> Packet:
        if self.kind == "udp":
            return udp_datagram(src.addr.ip, dst.addr.ip, src.addr.port, dst.addr.port, payload)
        return icmp_echo(
            src.addr.ip,
            dst.addr.ip,
            identifier=1,
            sequence=self.sequence,
            payload=payload,
            reply=reply,
        )

    def send(self, payload: bytes, from_opener: bool = True) -> bool:
        """One datagram (or echo request and its reply). A block loses only this one."""
        if self.kind == "udp" and self.a.local and not self.a.bound:
            self.journey.drop(None, "no socket: bind() was blocked")
            return False
        self.sequence += 1
        src, dst = (self.a, self.b) if from_opener else (self.b, self.a)
        pkt = self.make(src, dst, payload)
        if not self.deliver(src, dst, pkt, "datagram" if self.kind == "udp" else "echo request"):
            return False
        if self.kind == "icmp":
            if not dst.listening:
                self.journey.drop(None, f"echo request timed out: {dst.addr} did not answer")
                return False
            reply = self.make(dst, src, payload, reply=True)
            return self.deliver(dst, src, reply, "echo reply")
        return True

    def deliver(self, src: Endpoint, dst: Endpoint, pkt: Packet, event: str) -> bool:
        if src.local:
            fresh = src.flow is None or not src.flow.active
            if fresh and not (self.authorize_connect(src, pkt) and self.established(src, pkt)):
                return False
            if not self.out_datagram(src, pkt, event):
                return False
            pkt = self.reinjector.carried(pkt, FWP_DIRECTION_OUTBOUND)  # an injected copy
        if dst.local:
            return self.receive(src, dst, pkt, event)
        if self.kind == "udp" and not dst.listening:
            self.icmp_unreachable_to(dst, src, pkt)
            self.journey.drop(None, f"{dst.addr} has no listener: ICMP port unreachable came back")
            return False
        return True

    def established(self, ep: Endpoint, pkt: Packet) -> bool:
        return self.flow_established(ep, pkt, FWP_DIRECTION_OUTBOUND)

    def out_datagram(self, ep: Endpoint, pkt: Packet, event: str) -> bool:
        if not self.reauthorize(ep, pkt, FWP_DIRECTION_OUTBOUND):
            return False
        for base, off in (
            ("DATAGRAM_DATA", pkt.transport_offset),
            ("OUTBOUND_TRANSPORT", pkt.transport_offset),
            ("OUTBOUND_IPPACKET", 0),
        ):
            x = self.packet_crossing(base, ep, event, FWP_DIRECTION_OUTBOUND, pkt, off)
            if not self.let_through(self.step(x), x):
                return False
        return True

    def receive(self, src: Endpoint, dst: Endpoint, pkt: Packet, event: str) -> bool:
        x = self.packet_crossing(
            "INBOUND_IPPACKET", dst, event, FWP_DIRECTION_INBOUND, pkt, pkt.transport_offset
        )
        if not self.let_through(self.step(x), x):
            return False
        if self.kind == "udp" and not dst.listening:
            if self.no_listener_discard(
                dst,
                pkt,
                event,
                "INBOUND_IPPACKET",
                FWPS_DISCARD_MODULE_NETWORK,
                IpDiscardPortUnreachable,
                pkt.transport_offset,
            ):
                self.icmp_unreachable_to(dst, src, pkt)
            return False
        first = dst.flow is None or not dst.flow.active
        x = self.packet_crossing(
            "INBOUND_TRANSPORT",
            dst,
            event,
            FWP_DIRECTION_INBOUND,
            pkt,
            pkt.payload_offset if self.kind == "udp" else pkt.transport_offset,
            extra_fields={"_ale_classify_required": first},
        )
        if not self.let_through(self.step(x), x):
            return False
        if first:
            if not dst.handle:  # the stack's own ICMP echo endpoint: no bind() gave it one
                dst.handle = self.core.engine.flow_table.next_handle()
            dst.authorized = True
            off = pkt.payload_offset if self.kind == "udp" else pkt.transport_offset
            x = self.packet_crossing(
                "ALE_AUTH_RECV_ACCEPT", dst, f"{event}: authorize", FWP_DIRECTION_INBOUND, pkt, off
            )
            step = self.step(x)
            if not self.let_through(step, x):
                return False
            self.new_flow(dst, Direction.INBOUND, step.layer)
            if not self.flow_established(dst, pkt, FWP_DIRECTION_INBOUND):
                return False
        elif not self.reauthorize(dst, pkt, FWP_DIRECTION_INBOUND):
            return False
        off = pkt.payload_offset if self.kind == "udp" else pkt.transport_offset
        x = self.packet_crossing("DATAGRAM_DATA", dst, event, FWP_DIRECTION_INBOUND, pkt, off)
        return self.let_through(self.step(x), x)

    def close(self) -> None:
        """UDP: the opener's socket closes (ENDPOINT_CLOSURE, RESOURCE_RELEASE)."""
        if self.closed:
            return
        self.closed = True
        if self.kind == "udp" and self.a.local and self.a.bound:
            self.closure(self.a, release=True)
        else:
            self.end_flow(self.a)
        self.end_flow(self.b)


__all__ = ["DatagramConversation", "TcpConversation"]
