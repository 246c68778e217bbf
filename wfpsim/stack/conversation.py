"""Connections and packet exchanges crossing WFP's layers, in the documented order.

Paths follow Microsoft's *TCP Packet Flows*, *UDP Packet Flows* and *ALE Layers* pages
(Windows Filtering Platform documentation): ALE layers classify once per flow; later packets
cross only the per-packet layers; a block at an ALE layer fails the operation and shows at
the layer's discard twin; a block at a packet layer drops that packet (and shows at the twin unless
absorbed); a policy change at an ALE authorize layer re-classifies the next packet of each
flow authorized there (reauthorization). Loopback runs both ends on this host.
"""

from __future__ import annotations

from typing import Any

from wfpsim.catalog import Direction, layer
from wfpsim.ids import FWP_DIRECTION_INBOUND, FWP_DIRECTION_OUTBOUND
from wfpsim.objects import Action
from wfpsim.stack.core import (
    FLAG_IS_CONNECTION_REDIRECTED,
    FLAG_IS_REAUTHORIZE,
    FLAG_IS_WILDCARD_BIND,
    REAUTH_POLICY_CHANGE,
    Core,
    Crossing,
    Endpoint,
)
from wfpsim.stack.host import HOST_ADDRESS, LOOPBACK_ADDRESS, Address
from wfpsim.stack.journey import Journey, Step
from wfpsim.stack.layerdata import (
    BindRequest,
    ConnectRequest,
    NetBufferList,
)
from wfpsim.stack.packets import ICMPHeader, Packet, Protocol
from wfpsim.stack.pending import Waiter
from wfpsim.stack.redirect import (
    ConnectionRedirect,
    bind_redirected,
    connect_redirected,
    mark_proxy,
)
from wfpsim.stack.reinject import Reinjector

#: The IP protocol of each conversation kind (ICMP echo over IPv6 is ICMPv6, 58).
KIND_PROTOCOLS = {"tcp": Protocol.TCP, "udp": Protocol.UDP, "icmp": Protocol.ICMP}
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
        icmpv6 = kind == "icmp" and a.addr.version == 6
        self.protocol = Protocol.ICMPV6 if icmpv6 else KIND_PROTOCOLS[kind]
        self.journey = journey
        self.a = a
        self.b = b
        self.version = a.addr.version
        self.failed = False
        self.closed = False
        #: injected packets this conversation carries (``wfpsim.stack.reinject``)
        self.reinjector = Reinjector(self)
        #: redirect records, original destination, proxy hops (``wfpsim.stack.redirect``)
        self.redirect = ConnectionRedirect()
        #: classifications its callouts pended (``wfpsim.stack.pending``)
        self.waiter = Waiter(self)

    # -- crossing helpers ---------------------------------------------------------------
    def peer_of(self, ep: Endpoint) -> Endpoint:
        """The other end of the conversation."""
        return self.b if ep is self.a else self.a

    def crossing(self, base: str, ep: Endpoint, event: str, direction: int, **kw: Any) -> Crossing:
        other = self.peer_of(ep)
        side = (
            "" if not (self.a.local and self.b.local) else ("client" if ep is self.a else "server")
        )
        side = self.redirect.label or side
        mark_proxy(self, base, kw)
        kw.setdefault("protocol", self.protocol)
        return Crossing(
            base,
            self.version,
            event,
            ep,
            other.addr,
            direction=direction,
            side=side,
            peer_app=other.app if other.local else None,
            **kw,
        )

    def step(self, x: Crossing, setup: bool = False) -> Step:
        """Classify one crossing; wait for a pended classification (``pending``); carry any
        packet its callouts injected (``reinject``)."""
        x = self.reinjector.prepare(x)
        mark = self.reinjector.mark()
        pends = self.waiter.mark()
        step = self.core.cross(self.journey, x, into_setup=setup)
        step = self.waiter.after(step, x, pends, setup)
        self.reinjector.after(step, x, mark)
        return step

    def let_through(self, step: Step, x: Crossing) -> bool:
        """True when the layer let it through; else record the block and the discard twin.

        A blocked packet whose injected copy took its place goes on (the copy does).
        """
        injected = self.reinjector.outcome(step)
        discarded = self.reinjector.already_discarded(step)  # before the copies it injected
        if injected is not None and injected[0] is not None and step.action == Action.BLOCK:
            replaced, x = injected
            if not discarded:
                self.core.discard_of(self.journey, x, step)  # nothing when absorbed
            if not replaced:
                self.journey.block(step)
            return bool(replaced)
        if step.action != Action.BLOCK:
            return True
        if not discarded and not self.redirect_layer(step):
            self.core.discard_of(self.journey, x, step)
        self.journey.block(step)
        return False

    @staticmethod
    def redirect_layer(step: Step) -> bool:
        """True at ALE_CONNECT_REDIRECT / ALE_BIND_REDIRECT (no discard twin is indicated)."""
        return step.layer.startswith("ALE_") and step.layer.split("_V")[0] in (
            "ALE_CONNECT_REDIRECT",
            "ALE_BIND_REDIRECT",
        )

    def redirect_let_through(self, step: Step, x: Crossing) -> bool:
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

    def packet_crossing(
        self,
        base: str,
        ep: Endpoint,
        event: str,
        direction: int,
        pkt: Packet,
        offset: int,
        **kw: Any,
    ) -> Crossing:
        """A crossing that carries a packet; for ICMP the port slots carry type and code.

        ``IP_PROTOCOL`` is the packet's own: an ICMP error answering a UDP datagram is ICMP
        (1 or 58) wherever it crosses, not the conversation's protocol.
        """
        raw = pkt.to_bytes()
        if isinstance(pkt.transport, ICMPHeader):
            kind, code = pkt.transport.type, pkt.transport.code
            icmp = {
                "IP_LOCAL_PORT": kind,
                "IP_REMOTE_PORT": code,
                "ICMP_TYPE": kind,
                "ICMP_CODE": code,
            }
            kw["extra_fields"] = {**icmp, **kw.get("extra_fields", {})}
        return self.crossing(
            base,
            ep,
            event,
            direction,
            packet=pkt,
            raw=raw,
            data_offset=offset,
            layer_data=NetBufferList(raw, offset),
            protocol=int(pkt.protocol),
            **kw,
        )

    # -- socket operations ------------------------------------------------------------------
    def bind(self, ep: Endpoint, setup: bool = False) -> bool:
        """BIND_REDIRECT then RESOURCE_ASSIGNMENT (port 0: the stack picks one).

        Microsoft's *ALE Layers* page (RESOURCE_ASSIGNMENT): a port the stack selects (port 0)
        is classified with ``FWP_CONDITION_FLAG_IS_WILDCARD_BIND``, and when ``bind()`` gives
        no local address (``0.0.0.0`` / ``::``) the local address field is ``FWP_EMPTY``. The
        *Filtering condition flags* page describes the same flag as "the application specified
        a wildcard address". The pages conflict; **our choice** sets the flag in both cases
        (port 0 or wildcard address). ``IP_LOCAL_ADDRESS_TYPE`` is left ``FWP_EMPTY`` with the
        address (our choice: there is no address to type). BIND_REDIRECT still sees the
        wildcard address its ``FWPS_BIND_REQUEST0`` carries. After the bind, packets use this
        host's address.
        """
        wildcard = ep.addr.is_wildcard
        stack_port = ep.addr.port == 0
        if stack_port:
            ep.addr = Address(ep.addr.ip, self.core.engine.flow_table.next_port())
        ep.handle = self.core.engine.flow_table.next_handle()
        req = BindRequest(ep.addr.ip, ep.addr.port)
        x = self.crossing("ALE_BIND_REDIRECT", ep, "bind()", FWP_DIRECTION_OUTBOUND, layer_data=req)
        step = self.step(x, setup)
        if not self.redirect_let_through(step, x):
            return False
        if (req.local_address, req.local_port) != (ep.addr.ip, ep.addr.port):
            bind_redirected(self, ep, req, step)
        flags = FLAG_IS_WILDCARD_BIND if wildcard or stack_port else 0
        unset = ("IP_LOCAL_ADDRESS", "IP_LOCAL_ADDRESS_TYPE") if ep.addr.is_wildcard else ()
        x = self.crossing(
            "ALE_RESOURCE_ASSIGNMENT",
            ep,
            "bind()",
            FWP_DIRECTION_OUTBOUND,
            flags=flags,
            unset=unset,
        )
        ok = self.let_through(self.step(x, setup), x)
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
        view = self.redirect.view()
        x = self.crossing(
            "ALE_CONNECT_REDIRECT",
            ep,
            "connect()",
            FWP_DIRECTION_OUTBOUND,
            layer_data=req,
            redirect=view,
        )
        step = self.step(x)
        if not self.redirect_let_through(step, x):
            return False
        flags = 0
        if (req.remote_address, req.remote_port) != (peer.addr.ip, peer.addr.port):
            if not connect_redirected(self, ep, peer, req, step):
                return False
            flags = FLAG_IS_CONNECTION_REDIRECTED
            view = self.redirect.view()
        if not ep.handle:
            ep.handle = self.core.engine.flow_table.next_handle()
        ep.authorized = True
        redirected = view if flags else None
        if pkt is None:
            x = self.crossing(
                "ALE_AUTH_CONNECT",
                ep,
                "connect()",
                FWP_DIRECTION_OUTBOUND,
                flags=flags,
                redirect=redirected,
            )
        else:
            x = self.packet_crossing(
                "ALE_AUTH_CONNECT",
                ep,
                "first packet: authorize",
                FWP_DIRECTION_OUTBOUND,
                pkt,
                pkt.transport_offset,
                flags=flags,
                redirect=redirected,
            )
        step = self.step(x)
        if not self.let_through(step, x):
            return False
        self.new_flow(ep, Direction.OUTBOUND, step.layer)
        return True

    def new_flow(self, ep: Endpoint, direction: Direction, layer_name: str) -> None:
        peer = self.peer_of(ep).addr
        table = self.core.engine.flow_table
        ep.flow = table.create(
            int(self.protocol),
            (ep.addr.ip, ep.addr.port),
            (peer.ip, peer.port),
            direction.value,
            layer_name,
            self.core.engine.policy_version(layer_name),
        )

    def flow_established(self, ep: Endpoint, pkt: Packet | None, direction: int) -> bool:
        """FLOW_ESTABLISHED: where callouts associate their flow contexts."""
        if pkt is None:
            x = self.crossing("ALE_FLOW_ESTABLISHED", ep, "flow established", direction)
        else:
            off = pkt.payload_offset if direction == FWP_DIRECTION_INBOUND else pkt.transport_offset
            x = self.packet_crossing(
                "ALE_FLOW_ESTABLISHED", ep, "flow established", direction, pkt, off
            )
        return self.let_through(self.step(x), x)

    def reauthorize(self, ep: Endpoint, pkt: Packet, direction: int) -> bool:
        """After a policy change at the authorizing layer, classify the next packet again."""
        flow = ep.flow
        if flow is None or not flow.active:
            return True
        current = self.core.engine.policy_version(flow.authorized_at)
        if current == flow.policy_version:
            return True
        base = layer(flow.authorized_at).family
        inbound_at_accept = base == "ALE_AUTH_RECV_ACCEPT" and direction == FWP_DIRECTION_INBOUND
        off = pkt.payload_offset if inbound_at_accept else pkt.transport_offset
        x = self.packet_crossing(
            base,
            ep,
            "reauthorize (policy changed)",
            direction,
            pkt,
            off,
            flags=FLAG_IS_REAUTHORIZE,
            extra_fields={"REAUTHORIZE_REASON": REAUTH_POLICY_CHANGE},
        )
        if not self.let_through(self.step(x), x):
            self.end_flow(ep)
            return False
        flow.policy_version = current
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
        WDK *ALE endpoint lifetime management*: for TCP, a closure for every AUTH_CONNECT or
        AUTH_RECV_ACCEPT indication (blocked or not); RESOURCE_RELEASE for every
        RESOURCE_ASSIGNMENT (so an accepted connection, never bound itself, has none: its
        listener's release comes when the listening socket closes, after this journey).
        """
        if not ep.local or ep.closed:
            return
        ep.closed = True
        self.step(
            self.crossing("ALE_ENDPOINT_CLOSURE", ep, "closesocket()", FWP_DIRECTION_OUTBOUND)
        )
        if release and ep.bound:
            self.step(
                self.crossing("ALE_RESOURCE_RELEASE", ep, "closesocket()", FWP_DIRECTION_OUTBOUND)
            )
        self.end_flow(ep)


__all__ = ["Conversation"]
