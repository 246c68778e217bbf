"""Net events and security audit events, as Windows records them.

* **Net events** (``netsh wfp show netevents``): a ``CLASSIFY_DROP`` for every block that is
  not absorbed (BFE collects them by default) and, when ``allow_events`` is on (the
  ``FWPM_NET_EVENT_KEYWORD_CLASSIFY_ALLOW`` keyword), a ``CLASSIFY_ALLOW`` for every ALE permit.
* **Audit events** (Security log, off by default like ``auditpol`` leaves them): 5152 packet
  dropped, 5153 packet vetoed; 5154/5155 listen permitted/blocked; 5156/5157 connection
  permitted/blocked; 5158/5159 bind permitted/blocked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape as _html_escape

from wfpsim.catalog import Direction
from wfpsim.values import app_id_bytes

#: (permitted, blocked) audit ids by ALE layer family.
AUDIT_IDS = {
    "ALE_AUTH_LISTEN": (5154, 5155),
    "ALE_AUTH_CONNECT": (5156, 5157),
    "ALE_AUTH_RECV_ACCEPT": (5156, 5157),
    "ALE_RESOURCE_ASSIGNMENT": (5158, 5159),
}
#: ``msFwpDirection`` as ``netsh wfp show netevents`` writes it.
NETSH_DIRECTION = {
    Direction.INBOUND: "MS_FWP_DIRECTION_IN",
    Direction.OUTBOUND: "MS_FWP_DIRECTION_OUT",
}
AUDIT_PACKET_DROP = 5152
AUDIT_VETO = 5153
AUDIT_TEXT = {
    5152: "The Windows Filtering Platform blocked a packet.",
    5153: "A more restrictive Windows Filtering Platform filter has blocked a packet.",
    5154: "The Windows Filtering Platform has permitted an application or service to listen "
    "on a port for incoming connections.",
    5155: "The Windows Filtering Platform has blocked an application or service from "
    "listening on a port for incoming connections.",
    5156: "The Windows Filtering Platform has permitted a connection.",
    5157: "The Windows Filtering Platform has blocked a connection.",
    5158: "The Windows Filtering Platform has permitted a bind to a local port.",
    5159: "The Windows Filtering Platform has blocked a bind to a local port.",
}


@dataclass(frozen=True, slots=True)
class NetEvent:
    """``FWPM_NET_EVENT``: header (addresses, ports, app) and the classify-drop/allow part."""

    sequence: int
    type: str
    layer: str
    layer_id: int | None
    filter_id: int
    filter_name: str | None
    ip_version: int
    protocol: int
    local_address: str
    local_port: int
    remote_address: str
    remote_port: int
    app_id: str | None
    user_id: str | None
    direction: Direction
    is_loopback: bool
    reauth_reason: int = 0


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """A Security-log event raised by WFP auditing."""

    sequence: int
    event_id: int
    layer: str
    filter_id: int
    application: str | None
    direction: Direction
    protocol: int
    source: str
    destination: str

    @property
    def message(self) -> str:
        """The event's first line as Event Viewer shows it."""
        return AUDIT_TEXT[self.event_id]


@dataclass(slots=True)
class EventLog:
    """What BFE and the audit policy collected. ``auditing`` turns the Security log on."""

    auditing: bool = False
    allow_events: bool = False
    net_events: list[NetEvent] = field(default_factory=list)
    audit_events: list[AuditEvent] = field(default_factory=list)
    _sequence: int = 0

    def next_sequence(self) -> int:
        """A deterministic event counter (wfpsim keeps no wall clock in results)."""
        self._sequence += 1
        return self._sequence

    def audit(self, event_id: int, net: NetEvent) -> None:
        """Record an audit event when auditing is on."""
        if not self.auditing:
            return
        src = f"{net.local_address}:{net.local_port}"
        dst = f"{net.remote_address}:{net.remote_port}"
        if net.direction == Direction.INBOUND:
            src, dst = dst, src
        self.audit_events.append(
            AuditEvent(
                self.next_sequence(),
                event_id,
                net.layer,
                net.filter_id,
                net.app_id,
                net.direction,
                net.protocol,
                src,
                dst,
            )
        )


def _tag(name: str, value: object, indent: int) -> str:
    return f"{chr(9) * indent}<{name}>{_html_escape(str(value), quote=False)}</{name}>"


def to_netsh_xml(events: list[NetEvent]) -> str:
    """Net events in the XML shape ``netsh wfp show netevents`` writes."""
    lines = ["<netEvents>"]
    for ev in events:
        v = "V4" if ev.ip_version == 4 else "V6"
        lines += ["\t<item>", "\t\t<header>"]
        lines.append(_tag("timeStamp", f"sequence {ev.sequence}", 3))
        lines.append(f"\t\t\t<ipVersion>FWP_IP_VERSION_{v}</ipVersion>")
        lines.append(_tag("ipProtocol", ev.protocol, 3))
        lines.append(_tag(f"localAddr{v}", ev.local_address, 3))
        lines.append(_tag(f"remoteAddr{v}", ev.remote_address, 3))
        lines.append(_tag("localPort", ev.local_port, 3))
        lines.append(_tag("remotePort", ev.remote_port, 3))
        if ev.app_id:
            lines += [
                "\t\t\t<appId>",
                _tag("data", app_id_bytes(ev.app_id).hex(), 4),
                _tag("asString", ev.app_id.lower(), 4),
                "\t\t\t</appId>",
            ]
        lines += ["\t\t</header>", _tag("type", f"FWPM_NET_EVENT_TYPE_{ev.type}", 2)]
        part = "classifyDrop" if ev.type == "CLASSIFY_DROP" else "classifyAllow"
        lines.append(f"\t\t<{part}>")
        lines.append(_tag("filterId", ev.filter_id, 3))
        lines.append(_tag("layerId", ev.layer_id, 3))
        lines.append(_tag("reauthReason", ev.reauth_reason, 3))
        lines.append(_tag("msFwpDirection", NETSH_DIRECTION[ev.direction], 3))
        lines.append(_tag("isLoopback", str(ev.is_loopback).lower(), 3))
        lines += [f"\t\t</{part}>", "\t</item>"]
    lines.append("</netEvents>")
    return "\n".join(lines)
