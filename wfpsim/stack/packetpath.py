"""How packets cross this host's layers: out through STREAM / DATAGRAM_DATA, TRANSPORT and
IPPACKET, in through IPPACKET and TRANSPORT, ICMP errors, and the stack's discards.

The order is Microsoft's *TCP Packet Flows* and *UDP Packet Flows*. A block at a packet layer
drops that packet (and shows at the layer's discard twin unless absorbed).
"""

from __future__ import annotations

from functools import cached_property

from wfpsim.callouts import DiscardMetadata
from wfpsim.ids import FWP_DIRECTION_INBOUND, FWP_DIRECTION_OUTBOUND
from wfpsim.objects import Action
from wfpsim.stack.conversation import Conversation
from wfpsim.stack.core import Endpoint
from wfpsim.stack.host import address_type
from wfpsim.stack.packets import Packet, TcpFlags, TCPHeader, UDPHeader, icmp_port_unreachable
from wfpsim.stack.streamio import StreamPath
from wfpsim.stack.streamio import stream_flags as flags_for


class PacketPath(Conversation):
    """The packet crossings of a conversation (socket operations are in the base class)."""

    @cached_property
    def streams(self) -> StreamPath:
        """The stream layer's channels of this conversation (``wfpsim.stack.streamio``)."""
        return StreamPath(self)

    def outbound_packet(
        self, ep: Endpoint, pkt: Packet, event: str, data_layer: str | None = None
    ) -> bool:
        """A packet leaves: [STREAM | DATAGRAM_DATA] → OUTBOUND_TRANSPORT → OUTBOUND_IPPACKET."""
        if not self.reauthorize(ep, pkt, FWP_DIRECTION_OUTBOUND):
            return False
        if data_layer == "STREAM":
            # the stream layer may hold, edit or add to the data (wfpsim.stack.streamio)
            if not self.streams.send(ep, pkt, event, is_fin(pkt)):
                return False
            sent = self.streams.replaced.get(id(pkt), pkt)
            if sent is None:
                return True  # held at the stream layer: nothing goes down the stack
            if sent is not pkt:
                self.streams.replaced[id(pkt)] = sent
            pkt = sent
        elif data_layer == "DATAGRAM_DATA":
            x = self.packet_crossing(
                "DATAGRAM_DATA", ep, event, FWP_DIRECTION_OUTBOUND, pkt, pkt.transport_offset
            )
            if not self.let_through(self.step(x), x):
                return False
        for base, offset in (
            ("OUTBOUND_TRANSPORT", pkt.transport_offset),
            ("OUTBOUND_IPPACKET", 0),
        ):
            x = self.packet_crossing(base, ep, event, FWP_DIRECTION_OUTBOUND, pkt, offset)
            if not self.let_through(self.step(x), x):
                return False
        return True

    def inbound_ippacket(self, ep: Endpoint, pkt: Packet, event: str) -> bool:
        """INBOUND_IPPACKET (data offset: the transport header)."""
        x = self.packet_crossing(
            "INBOUND_IPPACKET", ep, event, FWP_DIRECTION_INBOUND, pkt, pkt.transport_offset
        )
        return self.let_through(self.step(x), x)

    def inbound_transport(self, ep: Endpoint, pkt: Packet, event: str, first: bool = False) -> bool:
        """INBOUND_TRANSPORT (data offset: the payload)."""
        extra = {"_ale_classify_required": True} if first else {}
        x = self.packet_crossing(
            "INBOUND_TRANSPORT",
            ep,
            event,
            FWP_DIRECTION_INBOUND,
            pkt,
            pkt.payload_offset,
            extra_fields=extra,
        )
        return self.let_through(self.step(x), x)

    def inbound_packet(
        self, ep: Endpoint, pkt: Packet, event: str, data_layer: str | None = None
    ) -> bool:
        """A packet of an established flow arrives: IP → TRANSPORT → [reauth] → [data layer]."""
        if not (self.inbound_ippacket(ep, pkt, event) and self.inbound_transport(ep, pkt, event)):
            return False
        if not self.reauthorize(ep, pkt, FWP_DIRECTION_INBOUND):
            return False
        if data_layer == "STREAM" and (pkt.payload or is_fin(pkt)):
            return self.streams.receive(ep, pkt, event, is_fin(pkt))
        if data_layer == "DATAGRAM_DATA":
            # inbound: the payload; for the stack's ICMP socket, the ICMP header
            # (Microsoft Learn, *Data offset positions*)
            off = pkt.payload_offset if self.kind == "udp" else pkt.transport_offset
            x = self.packet_crossing("DATAGRAM_DATA", ep, event, FWP_DIRECTION_INBOUND, pkt, off)
            return self.let_through(self.step(x), x)
        return True

    def transmit(
        self, src: Endpoint, dst: Endpoint, pkt: Packet, event: str, data_layer: str | None = None
    ) -> bool:
        """``pkt`` goes from ``src`` to ``dst``; the layers of whichever ends are local."""
        if src.local and not self.outbound_packet(src, pkt, event, data_layer):
            return False
        if src.local and data_layer == "STREAM":
            sent = self.streams.carried(pkt)  # what left the stream layer instead
            if sent is None:
                return True  # held at the sender's stream layer: nothing reached the peer
            pkt = sent
        pkt = self.reinjector.carried(pkt, FWP_DIRECTION_OUTBOUND)  # an injected copy, if any
        if not dst.local:
            if data_layer == "STREAM":
                self.streams.wire(src, pkt)
            return True
        return self.inbound_packet(dst, pkt, event, data_layer)

    def icmp_unreachable_to(self, src: Endpoint, dst: Endpoint, original: Packet) -> None:
        """``src`` answers a datagram to a closed port with ICMP port-unreachable.

        The error is an ICMP packet (IP protocol 1, or 58 for ICMPv6: type 1 code 4) at every
        layer it crosses; its type and code are in the ICMP_TYPE / ICMP_CODE fields (the
        IP_LOCAL_PORT / IP_REMOTE_PORT slots). INBOUND_ICMP_ERROR also gets the EMBEDDED_*
        fields from the datagram the error quotes, seen from the receiver (its sender).
        """
        err = icmp_port_unreachable(original.to_bytes(), src.addr.ip, dst.addr.ip)
        if src.local:
            x = self.packet_crossing(
                "OUTBOUND_ICMP_ERROR",
                src,
                "ICMP port unreachable",
                FWP_DIRECTION_OUTBOUND,
                err,
                err.transport_offset,
            )
            if not self.let_through(self.step(x), x):
                return
            for base, off in (
                ("OUTBOUND_TRANSPORT", err.transport_offset),
                ("OUTBOUND_IPPACKET", 0),
            ):
                x = self.packet_crossing(
                    base, src, "ICMP port unreachable", FWP_DIRECTION_OUTBOUND, err, off
                )
                if not self.let_through(self.step(x), x):
                    return
        if dst.local:
            if not self.inbound_ippacket(dst, err, "ICMP port unreachable"):
                return
            x = self.packet_crossing(
                "INBOUND_ICMP_ERROR",
                dst,
                "ICMP port unreachable",
                FWP_DIRECTION_INBOUND,
                err,
                err.transport_offset + 8,
                extra_fields=embedded_fields(original),
            )
            self.let_through(self.step(x), x)

    def no_listener_discard(
        self,
        ep: Endpoint,
        pkt: Packet,
        event: str,
        base: str,
        module: int,
        reason: int,
        offset: int,
    ) -> bool:
        """The stack drops it: indicated at the discard layer. True unless a filter blocked
        there (which suppresses the RST / ICMP error: stealth mode)."""
        why = DiscardMetadata(module, reason, 0)
        x = self.packet_crossing(base, ep, event, FWP_DIRECTION_INBOUND, pkt, offset, discard=why)
        step = self.step(x)
        self.journey.drop(step.layer, f"{event}: no listener on {ep.addr} (discarded by the stack)")
        if step.action == Action.BLOCK:
            self.journey.notes.append(
                f"{step.layer} blocked by {step.classification.filter_name!r}: no reply sent"
            )
            return False
        return True


def is_fin(pkt: Packet) -> bool:
    """A TCP segment with FIN set."""
    return isinstance(pkt.transport, TCPHeader) and bool(pkt.transport.flags & TcpFlags.FIN)


def stream_flags(pkt: Packet, outbound: bool) -> int:
    """``FWPS_STREAM_DATA0.flags`` for a segment at the STREAM layer.

    A FIN is indicated as a (usually empty) stream indication with the DISCONNECT flag
    (``FWPS_STREAM_FLAG_SEND_DISCONNECT`` / ``FWPS_STREAM_FLAG_RECEIVE_DISCONNECT``: the WDK
    *FWPS_STREAM_DATA0* page: "the inbound data has arrived with the FIN flag set").
    """
    return flags_for(outbound, is_fin(pkt))


def embedded_fields(original: Packet) -> dict[str, int | str]:
    """INBOUND_ICMP_ERROR's EMBEDDED_* fields: the quoted packet, from its sender's side."""
    t = original.transport
    fields: dict[str, int | str] = {
        "EMBEDDED_PROTOCOL": int(original.protocol),
        "EMBEDDED_REMOTE_ADDRESS": original.ip.dst,
        "EMBEDDED_LOCAL_ADDRESS_TYPE": address_type(original.ip.src),
    }
    if isinstance(t, (TCPHeader, UDPHeader)):
        fields["EMBEDDED_LOCAL_PORT"] = t.sport
        fields["EMBEDDED_REMOTE_PORT"] = t.dport
    return fields


__all__ = ["PacketPath", "embedded_fields", "is_fin", "stream_flags"]
