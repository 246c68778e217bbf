"""Connections and packet exchanges crossing WFP's layers, in the documented order.

Paths follow Microsoft's *TCP Packet Flows*, *UDP Packet Flows* and *ALE* pages
(layers-and-flows.md §3): ALE layers classify once per flow; later packets cross only the
per-packet layers; a block at an ALE layer fails the operation and shows at the layer's
discard twin; a block at a packet layer drops that packet (and shows at the twin unless
absorbed); a policy change at an ALE authorize layer re-classifies the next packet of each
flow authorized there (reauthorization). Loopback runs both ends on this host.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from wfpsim.callouts import DiscardMetadata
from wfpsim.objects import Action
from wfpsim.stack.core import (
    FLAG_IS_CONNECTION_REDIRECTED,
    FLAG_IS_REAUTHORIZE,
    FLAG_IS_WILDCARD_BIND,
    FWP_DIRECTION_INBOUND,
    FWP_DIRECTION_OUTBOUND,
    REAUTH_POLICY_CHANGE,
    Core,
    Crossing,
    Endpoint,
)
from wfpsim.stack.host import HOST_ADDRESS, LOOPBACK_ADDRESS, Address, App
from wfpsim.stack.journey import Journey, Step
from wfpsim.stack.layerdata import (
    FWPS_STREAM_FLAG_RECEIVE,
    FWPS_STREAM_FLAG_SEND,
    BindRequest,
    ConnectRequest,
    NetBufferList,
    StreamCalloutIoPacket,
)
from wfpsim.stack.packets import Packet, icmp_port_unreachable, tcp_rst_for

PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1}
ALE_AUTH = ("ALE_AUTH_CONNECT", "ALE_AUTH_RECV_ACCEPT")


class Conversation:
    """A flow between an opener and a receiver; at least one of them is on this host.

    Use :meth:`wfpsim.stack.Stack.open`. ``send`` sends from the opener, ``reply`` from the
    other side, ``close`` ends it; everything crossed is appended to :attr:`journey`.
    """

    def __init__(self, core: Core, kind: str, journey: Journey, a: Endpoint, b: Endpoint) -> None:
        self.core = core
        self.kind = kind
        # ICMP echo over IPv6 is ICMPv6, IP protocol 58
        self.protocol = 58 if kind == "icmp" and a.addr.version == 6 else PROTOCOLS[kind]
        self.journey = journey
        self.a = a
        self.b = b
        self.version = a.addr.version
        self.failed = False
        self.closed = False

    # -- crossing helpers ---------------------------------------------------------------
    def peer_of(self, ep: Endpoint) -> Endpoint:
        """The other end of the conversation."""
        return self.b if ep is self.a else self.a

    def x(self, base: str, ep: Endpoint, event: str, direction: int, **kw: Any) -> Crossing:
        peer = self.peer_of(ep).addr
        side = (
            "" if not (self.a.local and self.b.local) else ("client" if ep is self.a else "server")
        )
        return Crossing(
            base, self.version, event, ep, peer, self.protocol, direction, side=side, **kw
        )

    def step(self, x: Crossing, setup: bool = False) -> Step:
        return self.core.cross(self.journey, x, into_setup=setup)

    def verdict(self, step: Step, x: Crossing, ale: bool = False) -> bool:
        """True when the layer let it through; else record the block and the discard twin."""
        if step.action != Action.BLOCK:
            return True
        if not (
            step.layer.startswith("ALE_")
            and step.layer.split("_V")[0] in ("ALE_CONNECT_REDIRECT", "ALE_BIND_REDIRECT")
        ):
            self.core.discard_of(self.journey, x, step)
        self.journey.block(step)
        return False

    def redirect_verdict(self, step: Step, x: Crossing) -> bool:
        """At the redirect layers only a callout's BLOCK stops the operation.

        Microsoft documents them as layers where callouts redirect; a redirect callout without
        the write right may still veto with BLOCK. **Our choice** (undocumented): a static
        filter's BLOCK there is recorded but does not fail ``bind()`` / ``connect()``.
        """
        c = step.classification
        by_callout = any(
            st.filter_id == c.filter_id and st.callout is not None for st in c.matched_steps()
        )
        if step.action != Action.BLOCK or not by_callout:
            return True
        self.journey.block(step)
        return False

    def packet_x(
        self,
        base: str,
        ep: Endpoint,
        event: str,
        direction: int,
        pkt: Packet,
        offset: int,
        **kw: Any,
    ) -> Crossing:
        """A crossing that carries a packet; for ICMP the port slots carry type and code."""
        raw = pkt.to_bytes()
        kind = getattr(pkt.transport, "type", None)
        if kind is not None and self.protocol in (1, 58):
            icmp = {"IP_LOCAL_PORT": kind, "IP_REMOTE_PORT": getattr(pkt.transport, "code", 0)}
            kw["extra_fields"] = {**icmp, **kw.get("extra_fields", {})}
        return self.x(
            base,
            ep,
            event,
            direction,
            packet=pkt,
            raw=raw,
            data_offset=offset,
            layer_data=NetBufferList(raw, offset),
            **kw,
        )

    # -- socket operations ------------------------------------------------------------------
    def bind(self, ep: Endpoint, setup: bool = False) -> bool:
        """BIND_REDIRECT then RESOURCE_ASSIGNMENT (port 0: the stack picks one).

        A wildcard address (``0.0.0.0`` / ``::``) is classified as bound, with
        ``FWP_CONDITION_FLAG_IS_WILDCARD_BIND``; packets then use this host's address.
        """
        wildcard = ep.addr.is_wildcard
        if ep.addr.port == 0:
            ep.addr = Address(ep.addr.ip, self.core.engine.flow_table.next_port())
        ep.handle = self.core.engine.flow_table.next_handle()
        req = BindRequest(ep.addr.ip, ep.addr.port)
        x = self.x("ALE_BIND_REDIRECT", ep, "bind()", FWP_DIRECTION_OUTBOUND, layer_data=req)
        if not self.redirect_verdict(self.step(x, setup), x):
            return False
        if (req.local_address, req.local_port) != (ep.addr.ip, ep.addr.port):
            ep.addr = Address(req.local_address, req.local_port)
            self.journey.notes.append(f"bind redirected to {ep.addr}")
        flags = FLAG_IS_WILDCARD_BIND if wildcard else 0
        x = self.x("ALE_RESOURCE_ASSIGNMENT", ep, "bind()", FWP_DIRECTION_OUTBOUND, flags=flags)
        ok = self.verdict(self.step(x, setup), x)
        ep.bound = ok
        if ok and ep.addr.is_wildcard:
            peer = self.peer_of(ep)
            table = LOOPBACK_ADDRESS if peer.addr.is_loopback else HOST_ADDRESS
            ep.addr = Address(table[self.version], ep.addr.port)
            self.journey.notes.append(f"wildcard bind: traffic uses this host's {ep.addr.ip}")
        return ok

    def authorize_connect(self, ep: Endpoint, pkt: Packet | None) -> bool:
        """CONNECT_REDIRECT then AUTH_CONNECT (TCP: no packet yet; others: the first one)."""
        peer = self.peer_of(ep)
        req = ConnectRequest(ep.addr.ip, ep.addr.port, peer.addr.ip, peer.addr.port)
        x = self.x("ALE_CONNECT_REDIRECT", ep, "connect()", FWP_DIRECTION_OUTBOUND, layer_data=req)
        if not self.redirect_verdict(self.step(x), x):
            return False
        flags = 0
        if (req.remote_address, req.remote_port) != (peer.addr.ip, peer.addr.port):
            self.journey.notes.append(
                f"connect redirected from {peer.addr} to {req.remote_address}:{req.remote_port}"
            )
            peer.addr = Address(req.remote_address, req.remote_port)
            flags = FLAG_IS_CONNECTION_REDIRECTED
            if peer.addr.is_loopback and not peer.local:
                # redirected to a local proxy: the other end now runs on this host
                pid = req.local_redirect_target_pid or ep.app.pid
                peer.local, peer.app = True, App(ep.app.path, ep.app.user, pid)
        if pkt is None:
            x = self.x("ALE_AUTH_CONNECT", ep, "connect()", FWP_DIRECTION_OUTBOUND, flags=flags)
        else:
            x = self.packet_x(
                "ALE_AUTH_CONNECT",
                ep,
                "first packet: authorize",
                FWP_DIRECTION_OUTBOUND,
                pkt,
                pkt.transport_offset,
                flags=flags,
            )
        step = self.step(x)
        if not self.verdict(step, x):
            return False
        self.new_flow(ep, "outbound", step.layer)
        return True

    def new_flow(self, ep: Endpoint, direction: str, layer_name: str) -> None:
        peer = self.peer_of(ep).addr
        table = self.core.engine.flow_table
        ep.flow = table.create(
            self.protocol,
            (ep.addr.ip, ep.addr.port),
            (peer.ip, peer.port),
            direction,
            layer_name,
            self.core.engine.policy_version(layer_name),
        )

    def flow_established(self, ep: Endpoint, pkt: Packet | None, direction: int) -> bool:
        """FLOW_ESTABLISHED: where callouts associate their flow contexts."""
        if pkt is None:
            x = self.x("ALE_FLOW_ESTABLISHED", ep, "flow established", direction)
        else:
            off = pkt.payload_offset if direction == FWP_DIRECTION_INBOUND else pkt.transport_offset
            x = self.packet_x("ALE_FLOW_ESTABLISHED", ep, "flow established", direction, pkt, off)
        return self.verdict(self.step(x), x)

    def reauthorize(self, ep: Endpoint, pkt: Packet, direction: int) -> bool:
        """After a policy change at the authorizing layer, classify the next packet again."""
        flow = ep.flow
        if flow is None or not flow.active:
            return True
        current = self.core.engine.policy_version(flow.authorized_at)
        if current == flow.policy_version:
            return True
        base = flow.authorized_at.rsplit("_V", 1)[0]
        inbound_at_accept = base == "ALE_AUTH_RECV_ACCEPT" and direction == FWP_DIRECTION_INBOUND
        off = pkt.payload_offset if inbound_at_accept else pkt.transport_offset
        x = self.packet_x(
            base,
            ep,
            "reauthorize (policy changed)",
            direction,
            pkt,
            off,
            flags=FLAG_IS_REAUTHORIZE,
            extra_fields={"REAUTHORIZE_REASON": REAUTH_POLICY_CHANGE},
        )
        if not self.verdict(self.step(x), x):
            self.end_flow(ep)
            return False
        flow.policy_version = current
        return True

    # -- packets --------------------------------------------------------------------------
    def out(self, ep: Endpoint, pkt: Packet, event: str, data_layer: str | None = None) -> bool:
        """A packet leaves: [STREAM | DATAGRAM_DATA] → OUTBOUND_TRANSPORT → OUTBOUND_IPPACKET."""
        if not self.reauthorize(ep, pkt, FWP_DIRECTION_OUTBOUND):
            return False
        if data_layer == "STREAM":
            data = StreamCalloutIoPacket(pkt.payload, FWPS_STREAM_FLAG_SEND)
            x = self.x(
                "STREAM",
                ep,
                event,
                FWP_DIRECTION_OUTBOUND,
                packet=pkt,
                raw=pkt.payload,
                data_offset=0,
                layer_data=data,
            )
            if not self.verdict(self.step(x), x):
                return False
        elif data_layer == "DATAGRAM_DATA":
            x = self.packet_x(
                "DATAGRAM_DATA", ep, event, FWP_DIRECTION_OUTBOUND, pkt, pkt.transport_offset
            )
            if not self.verdict(self.step(x), x):
                return False
        for base, offset in (
            ("OUTBOUND_TRANSPORT", pkt.transport_offset),
            ("OUTBOUND_IPPACKET", 0),
        ):
            x = self.packet_x(base, ep, event, FWP_DIRECTION_OUTBOUND, pkt, offset)
            if not self.verdict(self.step(x), x):
                return False
        return True

    def ip_in(self, ep: Endpoint, pkt: Packet, event: str) -> bool:
        """INBOUND_IPPACKET (data offset: the transport header)."""
        x = self.packet_x(
            "INBOUND_IPPACKET", ep, event, FWP_DIRECTION_INBOUND, pkt, pkt.transport_offset
        )
        return self.verdict(self.step(x), x)

    def transport_in(self, ep: Endpoint, pkt: Packet, event: str, first: bool = False) -> bool:
        """INBOUND_TRANSPORT (data offset: the payload)."""
        extra = {"_ale_classify_required": True} if first else {}
        x = self.packet_x(
            "INBOUND_TRANSPORT",
            ep,
            event,
            FWP_DIRECTION_INBOUND,
            pkt,
            pkt.payload_offset,
            extra_fields=extra,
        )
        return self.verdict(self.step(x), x)

    def into(self, ep: Endpoint, pkt: Packet, event: str, data_layer: str | None = None) -> bool:
        """A packet of an established flow arrives: IP → TRANSPORT → [reauth] → [data layer]."""
        if not (self.ip_in(ep, pkt, event) and self.transport_in(ep, pkt, event)):
            return False
        if not self.reauthorize(ep, pkt, FWP_DIRECTION_INBOUND):
            return False
        if data_layer == "STREAM" and pkt.payload:
            data = StreamCalloutIoPacket(pkt.payload, FWPS_STREAM_FLAG_RECEIVE)
            x = self.x(
                "STREAM",
                ep,
                event,
                FWP_DIRECTION_INBOUND,
                packet=pkt,
                raw=pkt.payload,
                data_offset=0,
                layer_data=data,
            )
            return self.verdict(self.step(x), x)
        if data_layer == "DATAGRAM_DATA":
            # inbound: the payload; for the stack's ICMP socket, the ICMP header ([D8])
            off = pkt.payload_offset if self.kind == "udp" else pkt.transport_offset
            x = self.packet_x("DATAGRAM_DATA", ep, event, FWP_DIRECTION_INBOUND, pkt, off)
            return self.verdict(self.step(x), x)
        return True

    def transmit(
        self, src: Endpoint, dst: Endpoint, pkt: Packet, event: str, data_layer: str | None = None
    ) -> bool:
        """``pkt`` goes from ``src`` to ``dst``; the layers of whichever ends are local."""
        if src.local and not self.out(src, pkt, event, data_layer):
            return False
        return not (dst.local and not self.into(dst, pkt, event, data_layer))

    def icmp_unreachable_to(self, src: Endpoint, dst: Endpoint, original: Packet) -> None:
        """``src`` answers a datagram to a closed port with ICMP port-unreachable."""
        err = icmp_port_unreachable(original.to_bytes(), src.addr.ip, dst.addr.ip)
        if src.local:
            x = self.packet_x(
                "OUTBOUND_ICMP_ERROR",
                src,
                "ICMP port unreachable",
                FWP_DIRECTION_OUTBOUND,
                err,
                err.transport_offset,
                extra_fields={"ICMP_TYPE": 3, "ICMP_CODE": 3},
            )
            if not self.verdict(self.step(x), x):
                return
            for base, off in (
                ("OUTBOUND_TRANSPORT", err.transport_offset),
                ("OUTBOUND_IPPACKET", 0),
            ):
                x = self.packet_x(
                    base, src, "ICMP port unreachable", FWP_DIRECTION_OUTBOUND, err, off
                )
                if not self.verdict(self.step(x), x):
                    return
        if dst.local:
            if not self.ip_in(dst, err, "ICMP port unreachable"):
                return
            x = self.packet_x(
                "INBOUND_ICMP_ERROR",
                dst,
                "ICMP port unreachable",
                FWP_DIRECTION_INBOUND,
                err,
                err.transport_offset + 8,
            )
            self.verdict(self.step(x), x)

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
        x = self.packet_x(base, ep, event, FWP_DIRECTION_INBOUND, pkt, offset, discard=why)
        step = self.step(x)
        self.journey.drop(step.layer, f"{event}: no listener on {ep.addr} (discarded by the stack)")
        if step.action == Action.BLOCK:
            self.journey.notes.append(
                f"{step.layer} blocked by {step.classification.filter_name!r}: no reply sent"
            )
            return False
        return True

    def end_flow(self, ep: Endpoint) -> None:
        if ep.flow is not None and ep.flow.active:
            calls = self.core.engine.end_flow(ep.flow.flow_id)
            for layer_id, callout_id, ctx in calls:
                self.journey.notes.append(
                    f"flowDeleteFn(layer {layer_id}, callout {callout_id}, context {ctx:#x})"
                )

    def closure(self, ep: Endpoint, release: bool) -> None:
        """ENDPOINT_CLOSURE (and RESOURCE_RELEASE for a bound socket), then the flow ends.

        Once per socket: a refused connect() closes it at once, a later close() adds nothing.
        """
        if not ep.local or ep.closed:
            return
        ep.closed = True
        self.step(self.x("ALE_ENDPOINT_CLOSURE", ep, "closesocket()", FWP_DIRECTION_OUTBOUND))
        if release and ep.bound:
            self.step(self.x("ALE_RESOURCE_RELEASE", ep, "closesocket()", FWP_DIRECTION_OUTBOUND))
        self.end_flow(ep)


__all__ = ["Conversation", "replace", "tcp_rst_for"]
