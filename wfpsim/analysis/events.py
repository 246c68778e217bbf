"""Explain the drops a machine logged: ``netsh wfp show netevents`` against its filters.

Each ``FWPM_NET_EVENT_TYPE_CLASSIFY_DROP`` names the filter that dropped the traffic
(``classifyDrop/filterId``, the id event 5152/5157 shows too) and the layer (``layerId``, a
run-time id). :func:`explain_events` looks each filter up in a policy — the same machine's
``netsh wfp show state`` dump — and explains it (:func:`wfpsim.analysis.filters.explain_filter`),
noting when the id is absent: filter ids change at every boot, so a dump taken at another time
may not hold it.

The reader takes the XML that ``netsh wfp show netevents`` writes (and that
:func:`wfpsim.stack.events.to_netsh_xml` writes for simulated traffic): ``<netEvents><item>``
with a ``<header>`` (addresses, ports, protocol, ``appId``) and a ``<classifyDrop>`` part.

>>> xml = '''<netEvents><item><header><ipProtocol>6</ipProtocol>
... <localAddrV4>10.0.0.5</localAddrV4><remoteAddrV4>198.51.100.7</remoteAddrV4>
... <localPort>49152</localPort><remotePort>8080</remotePort></header>
... <type>FWPM_NET_EVENT_TYPE_CLASSIFY_DROP</type>
... <classifyDrop><filterId>4</filterId><layerId>48</layerId></classifyDrop></item></netEvents>'''
>>> [(e.filter_id, e.layer, e.remote) for e in read_netevents(xml)]
[(4, 'ALE_AUTH_CONNECT_V4', '198.51.100.7:8080')]
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfpsim.analysis.filters import FilterExplanation, explain_filter
from wfpsim.catalog import layer
from wfpsim.dumpfile import decode_dump, parse_dump, read_dump
from wfpsim.engine import Engine
from wfpsim.errors import FilterNotFoundError, InvalidParameterError, WfpError

__all__ = ["EventExplanation", "NetEventRecord", "explain_events", "read_netevents"]


@dataclass(frozen=True, slots=True)
class NetEventRecord:
    """One net event as ``netsh wfp show netevents`` lists it."""

    index: int
    type: str
    filter_id: int | None
    layer_id: int | None
    layer: str | None
    protocol: int | None
    local: str
    remote: str
    app: str | None
    direction: str | None

    def describe(self) -> str:
        """``#3 CLASSIFY_DROP tcp 10.0.0.5:49152 -> 198.51.100.7:8080 at ALE_AUTH_CONNECT_V4``."""
        proto = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}.get(self.protocol or -1)
        proto = proto or f"protocol {self.protocol}"
        where = f" at {self.layer}" if self.layer else ""
        app = f" ({self.app})" if self.app else ""
        return f"#{self.index} {self.type} {proto} {self.local} -> {self.remote}{where}{app}"


def _int(el: ET.Element, path: str) -> int | None:
    text = (el.findtext(path) or "").strip()
    try:
        return int(text, 0) if text else None
    except ValueError:
        return None


def _endpoint(header: ET.Element, side: str) -> str:
    addr = (header.findtext(f"{side}AddrV4") or header.findtext(f"{side}AddrV6") or "").strip()
    port = (header.findtext(f"{side}Port") or "").strip()
    if ":" in addr and port:
        addr = f"[{addr}]"
    return f"{addr}:{port}" if port else addr


def _app(shown: str) -> str:
    """``netsh`` prints the UTF-16 app id byte by byte, a dot for each zero byte
    (``\\.d.e.v.i.c.e.\\...``): keep the characters."""
    if len(shown) >= 6 and set(shown[1::2]) <= {"."}:
        shown = shown[0::2]
    return shown.rstrip(".\x00")


def read_netevents(source: str | Path | bytes) -> list[NetEventRecord]:
    """Read ``netsh wfp show netevents`` XML (a path, or the XML itself as text or bytes).

    The file is read as dumps are (:mod:`wfpsim.dumpfile`): UTF-8 or UTF-16, no DOCTYPE.

    Raises:
        InvalidParameterError: unreadable, not UTF-8/UTF-16, not XML, a ``<!DOCTYPE`` (refused:
            entity declarations are how XML attacks start), or no ``<netEvents>`` element.
    """
    name = "netevents"
    if isinstance(source, Path) or (isinstance(source, str) and "<" not in source):
        name = str(source)
        text = read_dump(Path(source))
    else:
        text = decode_dump(source, name) if isinstance(source, bytes) else source
    root = parse_dump(text, name)
    top = root.find("netEvents")
    if top is None:
        raise InvalidParameterError(
            f"{name}: no <netEvents> element (is it `netsh wfp show netevents` output?)"
        )
    records = []
    for index, item in enumerate(top.findall("item"), 1):
        header = item.find("header")
        header = header if header is not None else ET.Element("header")
        kind = (item.findtext("type") or "").strip().removeprefix("FWPM_NET_EVENT_TYPE_")
        part = item.find("classifyDrop")
        if part is None:
            part = item.find("classifyAllow")
        part = part if part is not None else ET.Element("none")
        layer_id = _int(part, "layerId")
        try:
            name_of_layer = layer(layer_id).short_name if layer_id is not None else None
        except WfpError:
            name_of_layer = None
        app = _app((header.findtext("appId/asString") or "").strip()) or None
        records.append(
            NetEventRecord(
                index=index,
                type=kind or "UNKNOWN",
                filter_id=_int(part, "filterId"),
                layer_id=layer_id,
                layer=name_of_layer,
                protocol=_int(header, "ipProtocol"),
                local=_endpoint(header, "local"),
                remote=_endpoint(header, "remote"),
                app=app,
                direction=(part.findtext("msFwpDirection") or "").strip() or None,
            )
        )
    return records


@dataclass(frozen=True, slots=True)
class EventExplanation:
    """One drop event and the filter it names (None when the policy has no such filter)."""

    event: NetEventRecord
    filter: FilterExplanation | None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """The event's fields, ``filter`` (the filter explanation) and ``note``."""
        ev = self.event
        return {
            "index": ev.index,
            "type": ev.type,
            "filter_id": ev.filter_id,
            "layer": ev.layer,
            "layer_id": ev.layer_id,
            "protocol": ev.protocol,
            "local": ev.local,
            "remote": ev.remote,
            "app": ev.app,
            "filter": self.filter.to_json() if self.filter else None,
            "note": self.note,
        }

    def text(self) -> str:
        """The event, then the filter in words (or why it cannot be explained)."""
        lines = [self.event.describe()]
        if self.filter is not None:
            lines += [f"  {line}" for line in self.filter.text().splitlines()]
        if self.note:
            lines.append(f"  {self.note}")
        return "\n".join(lines)


def explain_events(
    engine: Engine, events: Sequence[NetEventRecord], drops_only: bool = True
) -> list[EventExplanation]:
    """Explain each classify-drop event (every event with ``drops_only=False``)."""
    out = []
    for ev in events:
        if drops_only and ev.type != "CLASSIFY_DROP":
            continue
        if ev.filter_id is None:
            out.append(EventExplanation(ev, None, "the event names no filter id"))
            continue
        try:
            found = explain_filter(engine, ev.filter_id)
        except FilterNotFoundError:
            note = (
                f"filter {ev.filter_id} is not in this policy: filter ids change at every boot, "
                "so the dump was probably taken at another time than the event"
            )
            out.append(EventExplanation(ev, None, note))
            continue
        note = ""
        if ev.layer and found.layer != ev.layer:
            note = (
                f"the event's layer {ev.layer} is not the filter's ({found.layer}): another boot?"
            )
        out.append(EventExplanation(ev, found, note))
    return out
