"""The stack's core: what a layer is handed (fields, metadata, layer data) and one crossing.

Each crossing classifies at one layer with the values Windows would hand over there, records
a :class:`~wfpsim.stack.journey.Step`, and logs net and audit events. The protocol walks in
:mod:`wfpsim.stack.conversation` decide which layers are crossed, in which order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from wfpsim.callouts import DiscardMetadata, IncomingValues, MetaValues
from wfpsim.catalog import Direction, layer
from wfpsim.classifier import incoming_values
from wfpsim.clock import clock_of
from wfpsim.flows import Flow
from wfpsim.ids import (
    CONDITION_FLAGS,
    FWP_DIRECTION_INBOUND,
    FWPS_DISCARD_FIREWALL_POLICY,
    FWPS_DISCARD_MODULE_GENERAL,
    METADATA_FIELDS,
    NET_FW_PROFILE2_PRIVATE,
    REAUTHORIZE_REASONS,
)
from wfpsim.objects import Action
from wfpsim.pend import issue_completion_handle, retire_completion_handle
from wfpsim.redirection import META_MEMBERS, RedirectView, redirect_metadata
from wfpsim.stack.events import AUDIT_IDS, AUDIT_PACKET_DROP, AUDIT_VETO, EventLog, NetEvent
from wfpsim.stack.host import ETHERNET, LOOPBACK, Address, App, address_type
from wfpsim.stack.journey import InjectedCopy, Journey, Step
from wfpsim.stack.packets import Packet, Protocol
from wfpsim.values import DataType, Value

if TYPE_CHECKING:
    from wfpsim.engine import Engine

# The SDK constants the stack sets, from wfpsim.ids (defined once there).
FLAG_IS_LOOPBACK = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_LOOPBACK"]
FLAG_IS_REAUTHORIZE = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_REAUTHORIZE"]
FLAG_IS_WILDCARD_BIND = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_WILDCARD_BIND"]
FLAG_IS_CONNECTION_REDIRECTED = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_CONNECTION_REDIRECTED"]
FLAG_IS_APPCONTAINER_LOOPBACK = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK"]
FLAG_IS_NON_APPCONTAINER_LOOPBACK = CONDITION_FLAGS[
    "FWP_CONDITION_FLAG_IS_NON_APPCONTAINER_LOOPBACK"
]
REAUTH_POLICY_CHANGE = REAUTHORIZE_REASONS["FWP_CONDITION_REAUTHORIZE_REASON_POLICY_CHANGE"]

#: Layers (and their discard twins) where FWP_CONDITION_FLAG_IS_LOOPBACK is set on loopback
#: traffic. Microsoft's two *Filtering condition flags* pages disagree: the Win32 (SDK) page
#: lists ALE_AUTH_CONNECT and STREAM, which the WDK page omits; the WDK page lists
#: DATAGRAM_DATA, which the Win32 page omits. We follow the newer Win32 page and keep the WDK
#: page's DATAGRAM_DATA too (the union: no page says the flag is absent there).
LOOPBACK_FLAG_LAYERS = (
    "INBOUND_IPPACKET",
    "OUTBOUND_IPPACKET",
    "INBOUND_TRANSPORT",
    "OUTBOUND_TRANSPORT",
    "STREAM",
    "DATAGRAM_DATA",
    "INBOUND_ICMP_ERROR",
    "OUTBOUND_ICMP_ERROR",
    "ALE_AUTH_RECV_ACCEPT",
    "ALE_AUTH_CONNECT",
    "ALE_FLOW_ESTABLISHED",
)
#: Layers where IS_APPCONTAINER_LOOPBACK / IS_NON_APPCONTAINER_LOOPBACK are documented (WDK
#: *Filtering condition flags*, Windows 8 and later). Loopback traffic there carries one of them:
#: **our reading** — the AppContainer one when either end of the loopback flow runs in an
#: AppContainer ("traffic going to and from an AppContainer"), the other one otherwise.
APPCONTAINER_FLAG_LAYERS = ("ALE_AUTH_CONNECT", "ALE_AUTH_RECV_ACCEPT")
#: Metadata members documented per layer family (Microsoft Learn, *Metadata fields at each
#: filtering layer*); DISCARD_REASON added at discard twins.
METADATA_BY_LAYER = {
    "INBOUND_IPPACKET": ("IP_HEADER_SIZE", "COMPARTMENT_ID"),
    "OUTBOUND_IPPACKET": ("IP_HEADER_SIZE", "TRANSPORT_HEADER_SIZE", "COMPARTMENT_ID"),
    "INBOUND_TRANSPORT": (
        "FLOW_HANDLE",
        "IP_HEADER_SIZE",
        "TRANSPORT_HEADER_SIZE",
        "COMPARTMENT_ID",
        "TRANSPORT_ENDPOINT_HANDLE",
    ),
    "OUTBOUND_TRANSPORT": (
        "FLOW_HANDLE",
        "TRANSPORT_HEADER_SIZE",
        "COMPARTMENT_ID",
        "TRANSPORT_ENDPOINT_HANDLE",
    ),
    "STREAM": ("FLOW_HANDLE",),
    "DATAGRAM_DATA": (
        "FLOW_HANDLE",
        "IP_HEADER_SIZE",
        "TRANSPORT_HEADER_SIZE",
        "COMPARTMENT_ID",
        "TRANSPORT_ENDPOINT_HANDLE",
    ),
    "INBOUND_ICMP_ERROR": ("IP_HEADER_SIZE", "TRANSPORT_HEADER_SIZE", "COMPARTMENT_ID"),
    "OUTBOUND_ICMP_ERROR": ("TRANSPORT_HEADER_SIZE", "COMPARTMENT_ID"),
    "ALE_RESOURCE_ASSIGNMENT": (
        "PROCESS_PATH",
        "TOKEN",
        "PROCESS_ID",
        "COMPLETION_HANDLE",
        "TRANSPORT_ENDPOINT_HANDLE",
    ),
    "ALE_AUTH_LISTEN": (
        "PROCESS_PATH",
        "TOKEN",
        "PROCESS_ID",
        "COMPLETION_HANDLE",
        "TRANSPORT_ENDPOINT_HANDLE",
    ),
    "ALE_AUTH_RECV_ACCEPT": (
        "FLOW_HANDLE",
        "IP_HEADER_SIZE",
        "PROCESS_PATH",
        "TOKEN",
        "PROCESS_ID",
        "TRANSPORT_HEADER_SIZE",
        "COMPARTMENT_ID",
        "COMPLETION_HANDLE",
        "TRANSPORT_ENDPOINT_HANDLE",
        "PACKET_DIRECTION",
        "PARENT_ENDPOINT_HANDLE",
    ),
    "ALE_AUTH_CONNECT": (
        "FLOW_HANDLE",
        "PROCESS_PATH",
        "TOKEN",
        "PROCESS_ID",
        "TRANSPORT_HEADER_SIZE",
        "COMPARTMENT_ID",
        "COMPLETION_HANDLE",
        "TRANSPORT_ENDPOINT_HANDLE",
        "PACKET_DIRECTION",
        "PARENT_ENDPOINT_HANDLE",
    ),
    "ALE_FLOW_ESTABLISHED": (
        "FLOW_HANDLE",
        "PROCESS_PATH",
        "TOKEN",
        "PROCESS_ID",
        "TRANSPORT_ENDPOINT_HANDLE",
        "PARENT_ENDPOINT_HANDLE",
    ),
    "ALE_RESOURCE_RELEASE": ("TOKEN", "PROCESS_ID", "COMPARTMENT_ID", "TRANSPORT_ENDPOINT_HANDLE"),
    "ALE_ENDPOINT_CLOSURE": (
        "TOKEN",
        "PROCESS_ID",
        "COMPARTMENT_ID",
        "TRANSPORT_ENDPOINT_HANDLE",
        "PARENT_ENDPOINT_HANDLE",
    ),
    "ALE_CONNECT_REDIRECT": (
        "TOKEN",
        "PROCESS_ID",
        "TRANSPORT_ENDPOINT_HANDLE",
        "PARENT_ENDPOINT_HANDLE",
    ),
    "ALE_BIND_REDIRECT": ("TOKEN", "PROCESS_ID", "TRANSPORT_ENDPOINT_HANDLE"),
}


@dataclass(slots=True)
class Endpoint:
    """One side of a conversation: its address, its application, whether it is on this host.

    ``handle`` is its ``TRANSPORT_ENDPOINT_HANDLE`` (unique per endpoint, *ALE endpoint lifetime
    management*); an accepted TCP connection gets its own and names its listener's in
    ``parent_handle`` (``PARENT_ENDPOINT_HANDLE``). ``authorized`` records that ALE_AUTH_CONNECT
    or ALE_AUTH_RECV_ACCEPT was indicated for it (blocked or not): a TCP endpoint then always
    sees ALE_ENDPOINT_CLOSURE.
    """

    addr: Address
    app: App
    local: bool
    listening: bool = True
    seq: int = 1000
    flow: Flow | None = None
    handle: int = 0
    parent_handle: int | None = None
    bound: bool = False
    closed: bool = False
    authorized: bool = False


@dataclass(frozen=True, slots=True)
class Crossing:
    """Everything one layer is handed, before it classifies."""

    base: str
    version: int
    event: str
    ep: Endpoint
    peer: Address
    protocol: Protocol
    direction: int
    packet: Packet | None = None
    raw: bytes | None = None
    data_offset: int | None = None
    layer_data: Any = None
    flags: int = 0
    discard: DiscardMetadata | None = None
    extra_fields: dict[str, Any] = field(default_factory=dict)
    side: str = ""
    peer_app: App | None = None
    unset: tuple[str, ...] = ()
    #: an injected copy: who injected it (``wfpsim.stack.reinject``)
    injection: InjectedCopy | None = None
    #: the packet the conversation carries, when ``packet`` is an injected copy of it
    origin: Packet | None = None
    #: redirect records and original destination (``wfpsim.redirection.RedirectView``)
    redirect: RedirectView | None = None


class Core:
    """Classify crossings for one engine and keep the event log."""

    def __init__(self, engine: Engine, events: EventLog | None = None) -> None:
        self.engine = engine
        self.events = events or EventLog()

    def facts(self, x: Crossing, short: str) -> dict[str, Any]:
        """The field values this layer receives (host-order integers for IPv4 and ports)."""
        ep, peer = x.ep, x.peer
        loop = ep.addr.is_loopback or peer.is_loopback
        iface = LOOPBACK if loop else ETHERNET
        fam = layer(short).family
        flags = x.flags | (FLAG_IS_LOOPBACK if loop and fam in LOOPBACK_FLAG_LAYERS else 0)
        if loop and fam in APPCONTAINER_FLAG_LAYERS:
            contained = ep.app.in_app_container or (
                x.peer_app is not None and x.peer_app.in_app_container
            )
            flags |= (
                FLAG_IS_APPCONTAINER_LOOPBACK if contained else FLAG_IS_NON_APPCONTAINER_LOOPBACK
            )
        inbound = x.direction == FWP_DIRECTION_INBOUND
        dst = ep.addr.ip if inbound else peer.ip
        facts: dict[str, Any] = {
            "IP_PROTOCOL": int(x.protocol),
            "IP_LOCAL_ADDRESS": ep.addr.ip,
            "IP_REMOTE_ADDRESS": peer.ip,
            "IP_LOCAL_PORT": ep.addr.port,
            "IP_REMOTE_PORT": peer.port,
            "IP_LOCAL_ADDRESS_TYPE": address_type(ep.addr.ip),
            "IP_DESTINATION_ADDRESS_TYPE": address_type(dst),
            "ALE_APP_ID": ep.app.path,
            "ALE_USER_ID": Value(DataType.TOKEN_ACCESS_INFORMATION_TYPE, ep.app.token),
            "ALE_PACKAGE_ID": ep.app.package_id,
            "FLAGS": flags,
            "DIRECTION": x.direction,
            "IP_LOCAL_INTERFACE": iface.luid,
            "INTERFACE_INDEX": iface.index,
            "SUB_INTERFACE_INDEX": iface.index,
            "INTERFACE_TYPE": iface.if_type,
            "TUNNEL_TYPE": 0,
            "COMPARTMENT_ID": 1,
            "CURRENT_PROFILE_ID": NET_FW_PROFILE2_PRIVATE,
            "ORIGINAL_PROFILE_ID": NET_FW_PROFILE2_PRIVATE,
        }
        side = "ARRIVAL" if inbound else "NEXTHOP"
        facts[f"IP_{side}_INTERFACE"] = iface.luid
        facts[f"{side}_INTERFACE_INDEX"] = iface.index
        facts[f"{side}_INTERFACE_TYPE"] = iface.if_type
        facts[f"{side}_TUNNEL_TYPE"] = 0
        if not inbound:
            facts["NEXTHOP_SUB_INTERFACE_INDEX"] = iface.index
        facts.update(x.extra_fields)
        for name in x.unset:
            facts.pop(name, None)
        return facts

    def meta(self, x: Crossing, short: str, ip_size: int, transport_size: int) -> MetaValues:
        """The metadata members documented at this layer, with their bits set."""
        names = list(METADATA_BY_LAYER.get(layer(short).family, ()))
        if x.discard is not None:
            names.append("DISCARD_REASON")
        flow = x.ep.flow
        if flow is None and "FLOW_HANDLE" in names:
            names.remove("FLOW_HANDLE")
        if x.extra_fields.get("_ale_classify_required"):
            names.append("ALE_CLASSIFY_REQUIRED")
        if x.packet is None:  # header sizes describe a packet; AUTH_CONNECT for TCP has none
            names = [n for n in names if n not in ("IP_HEADER_SIZE", "TRANSPORT_HEADER_SIZE")]
        if not x.flags & FLAG_IS_REAUTHORIZE:
            # [our choice] Microsoft documents PACKET_DIRECTION as relevant to reauthorization
            names = [n for n in names if n != "PACKET_DIRECTION"]
        if x.ep.parent_handle is None:
            names = [n for n in names if n != "PARENT_ENDPOINT_HANDLE"]
        redirect = redirect_metadata(layer(short).family, x.redirect)
        names += list(redirect)
        completion = None
        if "COMPLETION_HANDLE" in names:  # what FwpsPendOperation0 takes (wfpsim.pend)
            reauthorize = bool(x.flags & FLAG_IS_REAUTHORIZE)
            completion = issue_completion_handle(
                self.engine.kernel, short, reauthorize, x.discard is not None
            )
        bits = sum(METADATA_FIELDS[n] for n in set(names))
        return MetaValues(
            current_metadata_values=bits,
            discard_metadata=x.discard,
            flow_handle=flow.flow_id if flow and "FLOW_HANDLE" in names else None,
            ip_header_size=ip_size if "IP_HEADER_SIZE" in names else 0,
            transport_header_size=transport_size if "TRANSPORT_HEADER_SIZE" in names else 0,
            process_path=x.ep.app.path if "PROCESS_PATH" in names else None,
            token=x.ep.app.token if "TOKEN" in names else None,
            process_id=x.ep.app.pid if "PROCESS_ID" in names else None,
            transport_endpoint_handle=x.ep.handle if "TRANSPORT_ENDPOINT_HANDLE" in names else None,
            packet_direction=x.direction if "PACKET_DIRECTION" in names else None,
            parent_endpoint_handle=(
                x.ep.parent_handle if "PARENT_ENDPOINT_HANDLE" in names else None
            ),
            **{META_MEMBERS[name]: value for name, value in redirect.items()},
            completion_handle=completion,
        )

    def cross(self, journey: Journey, x: Crossing, into_setup: bool = False) -> Step:
        """Classify at one layer and record the step (and its events)."""
        suffix = "_DISCARD" if x.discard is not None else ""
        la = layer(f"{x.base}_V{x.version}{suffix}")
        short = la.short_name
        facts = {k: v for k, v in self.facts(x, short).items() if not k.startswith("_")}
        values = {k: v for k, v in facts.items() if la.has_field(k)}
        typed = incoming_values(la, values)
        ip_size = x.packet.ip_header_size if x.packet else 0
        transport_size = x.packet.transport_header_size if x.packet else 0
        meta = self.meta(x, short, ip_size, transport_size)
        flow_id = x.ep.flow.flow_id if x.ep.flow else None
        contexts = self.engine.flow_table.contexts_at(flow_id, la.id)
        c = self.engine.classify(la, typed, meta, x.layer_data, contexts)
        if meta.completion_handle is not None:  # the classification returned: handle retired
            retire_completion_handle(self.engine.kernel, meta.completion_handle)
        steps = journey.setup if into_setup else journey.steps
        step = Step(
            len(steps),
            short,
            la.id,
            x.event,
            c,
            IncomingValues.build(la, typed),
            meta,
            x.raw,
            x.data_offset,
            x.layer_data,
            x.side,
            injection=x.injection,
            time=clock_of(self.engine.kernel).now,
        )
        steps.append(step)
        self.record(step, x)
        return step

    def record(self, step: Step, x: Crossing) -> None:
        """Net events and audit for one step."""
        c = step.classification
        fam = layer(step.layer).family
        ale_auth = fam in AUDIT_IDS
        blocked = c.action == Action.BLOCK
        if (blocked and c.absorbed) or step.is_discard or not (blocked or ale_auth):
            return
        kind = "CLASSIFY_DROP" if c.action == Action.BLOCK else "CLASSIFY_ALLOW"
        net = NetEvent(
            self.events.next_sequence(),
            kind,
            step.layer,
            step.layer_id,
            c.filter_id,
            c.filter_name,
            x.version,
            int(x.protocol),
            x.ep.addr.ip,
            x.ep.addr.port,
            x.peer.ip,
            x.peer.port,
            x.ep.app.path if x.ep.local else None,
            x.ep.app.user,
            Direction.INBOUND if x.direction == FWP_DIRECTION_INBOUND else Direction.OUTBOUND,
            x.ep.addr.is_loopback or x.peer.is_loopback,
            REAUTH_POLICY_CHANGE if x.flags & FLAG_IS_REAUTHORIZE else 0,
        )
        if kind == "CLASSIFY_DROP" or self.events.allow_events:
            self.events.net_events.append(net)
        if c.veto:
            self.events.audit(AUDIT_VETO, net)
        if ale_auth:
            # NONE / NONE_NO_MATCH let the traffic pass: audited as permitted (filter id 0)
            allowed_id, blocked_id = AUDIT_IDS[fam]
            self.events.audit(blocked_id if blocked else allowed_id, net)
        elif blocked:
            self.events.audit(AUDIT_PACKET_DROP, net)

    def discard_of(self, journey: Journey, x: Crossing, step: Step) -> Step | None:
        """Indicate a filter's block at the layer's discard twin (not when absorbed)."""
        la = layer(step.layer)
        if la.twin is None or step.classification.absorbed:
            return None
        why = DiscardMetadata(
            FWPS_DISCARD_MODULE_GENERAL, FWPS_DISCARD_FIREWALL_POLICY, step.classification.filter_id
        )
        return self.cross(journey, replace(x, discard=why, event=f"{x.event} (discarded)"))
