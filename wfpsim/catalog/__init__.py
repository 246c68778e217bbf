"""The layer catalog: every WFP layer, its fields, the conditions and built-in sublayers.

The data (``data/catalog.json``) is generated from the SDK headers' identifier tables by
``tools/build_catalog.py`` and loaded once. Look a layer up by its short name, its full
``FWPM_LAYER_*`` name, its GUID or its run-time id:

>>> layer("ALE_AUTH_CONNECT_V4").id
48
>>> layer("FWPM_LAYER_ALE_AUTH_CONNECT_V4") is layer("c38d57d1-05a7-4c33-904f-7fbceee60e82")
True
>>> layer(48).field("IP_REMOTE_PORT").index
7
>>> layer(48).field("IP_REMOTE_PORT").name
'FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT'
"""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from wfpsim.errors import (
    ConditionNotFoundError,
    LayerNotFoundError,
    SublayerNotFoundError,
)
from wfpsim.values import DataType

__all__ = [
    "ConditionInfo",
    "Direction",
    "Field",
    "Layer",
    "LayerKind",
    "SublayerInfo",
    "builtin_sublayers",
    "condition",
    "conditions",
    "layer",
    "layers",
    "parse_guid",
]


class LayerKind(enum.Enum):
    """What a layer classifies (layers-and-flows.md §1.2)."""

    IP_PACKET = "IP packet"
    IP_FORWARD = "IP forward"
    TRANSPORT = "transport"
    STREAM = "stream"
    DATAGRAM = "datagram"
    ICMP_ERROR = "ICMP error"
    ALE = "ALE"
    ALE_REDIRECT = "ALE redirect"
    STREAM_PACKET = "stream packet"
    MAC_FRAME = "MAC frame"
    VSWITCH = "vSwitch"
    NAME_RESOLUTION = "name resolution"
    IPSEC = "IPsec/IKE (user mode)"
    RPC = "RPC (user mode)"
    KM_AUTHORIZATION = "keying-module authorization"
    INTERNAL = "internal (do not use)"
    RESERVED = "reserved"
    CONNECTION_POLICY = "connection policy"


class Direction(enum.Enum):
    """Which traffic a layer sees."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    BOTH = "both"
    NONE = "none (socket operation)"


@dataclass(frozen=True, slots=True, repr=False)
class Field:
    """One ``FWPS_FIELD_<LAYER>_*`` enumerator: an index into ``incomingValue[]``."""

    index: int
    name: str
    condition: str | None
    condition_guid: uuid.UUID | None
    type: DataType | None
    accepts: tuple[DataType, ...]

    @property
    def short_name(self) -> str:
        """The condition name without ``FWPM_CONDITION_`` (``IP_REMOTE_PORT``)."""
        if self.condition:
            return self.condition.removeprefix("FWPM_CONDITION_")
        return self.name.rsplit("_", 2)[-2] + "_" + self.name.rsplit("_", 1)[-1]

    def __repr__(self) -> str:
        kind = self.type.fwp_name if self.type else "reserved"
        return f"<Field {self.index} {self.name} ({self.condition or '-'}, {kind})>"


@dataclass(frozen=True, slots=True, repr=False)
class Layer:
    """A filtering layer: ``FWPM_LAYER_*`` GUID, ``FWPS_LAYER_*`` id and its fields."""

    name: str
    guid: uuid.UUID
    id: int | None
    id_stable: bool
    kind: LayerKind
    direction: Direction
    discard: bool
    twin: str | None
    ip_version: int | None
    mode: str
    since: str
    fields_enum: str | None
    fields: tuple[Field, ...] = field(repr=False)

    @property
    def short_name(self) -> str:
        """``ALE_AUTH_CONNECT_V4`` for ``FWPM_LAYER_ALE_AUTH_CONNECT_V4``."""
        return self.name.removeprefix("FWPM_LAYER_")

    @property
    def runtime_name(self) -> str:
        """The run-time identifier, ``FWPS_LAYER_ALE_AUTH_CONNECT_V4``."""
        return "FWPS_LAYER_" + self.short_name

    @property
    def is_ale(self) -> bool:
        """True for the stateful ALE layers (classified once per flow or socket operation)."""
        return self.kind in (LayerKind.ALE, LayerKind.ALE_REDIRECT)

    @property
    def default_sublayer(self) -> uuid.UUID:
        """``FWPM_LAYER0.defaultSubLayerKey``: ``FWPM_SUBLAYER_UNIVERSAL`` for every layer."""
        return UNIVERSAL

    @property
    def accepts_callouts(self) -> bool:
        """Callouts exist only in kernel drivers, so only kernel-mode layers call them."""
        return self.mode == "kernel"

    def field(self, name: str) -> Field:
        """A field by index-enum name, condition name/GUID or short name.

        Raises:
            ConditionNotFoundError: the layer has no such field.
        """
        found = _field_index(self).get(_norm(name))
        if found is None:
            valid = ", ".join(f.short_name for f in self.fields if f.condition) or "none"
            raise ConditionNotFoundError(
                f"layer {self.short_name} has no field {name!r}; its fields are: {valid}"
            )
        return found

    def has_field(self, name: str) -> bool:
        """True when :meth:`field` would find ``name``."""
        return _norm(name) in _field_index(self)

    def __str__(self) -> str:
        return self.short_name

    def __repr__(self) -> str:
        return f"<Layer {self.name} id={self.id} ({self.kind.value}, {len(self.fields)} fields)>"


@dataclass(frozen=True, slots=True)
class ConditionInfo:
    """A ``FWPM_CONDITION_*`` identifier and its documented data type."""

    name: str
    guid: uuid.UUID

    @property
    def short_name(self) -> str:
        """The name without ``FWPM_CONDITION_``."""
        return self.name.removeprefix("FWPM_CONDITION_")


@dataclass(frozen=True, slots=True)
class SublayerInfo:
    """A built-in sublayer (``FWPM_SUBLAYER_*``) with the weight Windows gives it."""

    name: str
    guid: uuid.UUID
    weight: int | None


def _norm(name: str) -> str:
    return name.strip().strip("{}").upper()


def parse_guid(text: str | uuid.UUID) -> uuid.UUID | None:
    """A GUID from ``"{…}"``/``"…"`` text, or None when ``text`` is not a GUID."""
    if isinstance(text, uuid.UUID):
        return text
    try:
        return uuid.UUID(text.strip().strip("{}"))
    except ValueError:
        return None


@cache
def _raw() -> dict[str, Any]:
    text = resources.files("wfpsim.catalog").joinpath("data/catalog.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _make_field(raw: dict[str, Any]) -> Field:
    guid = raw["condition_guid"]
    return Field(
        index=raw["index"],
        name=raw["name"],
        condition=raw["condition"],
        condition_guid=uuid.UUID(guid) if guid else None,
        type=DataType.parse(raw["type"]) if raw["type"] else None,
        accepts=tuple(DataType.parse(t) for t in raw["accepts"]),
    )


@cache
def _layers() -> tuple[Layer, ...]:
    out = []
    for raw in _raw()["layers"]:
        out.append(
            Layer(
                name=raw["name"],
                guid=uuid.UUID(raw["guid"]),
                id=raw["id"],
                id_stable=raw["id_stable"],
                kind=LayerKind[raw["kind"]],
                direction=Direction[raw["direction"]],
                discard=raw["discard"],
                twin=raw["twin"],
                ip_version=raw["ip_version"],
                mode=raw["mode"],
                since=raw["since"],
                fields_enum=raw["fields_enum"],
                fields=tuple(_make_field(f) for f in raw["fields"]),
            )
        )
    out.sort(key=lambda la: (la.id is None, la.id if la.id is not None else 0, la.name))
    return tuple(out)


@cache
def _layer_index() -> dict[str | int, Layer]:
    index: dict[str | int, Layer] = {}
    for la in _layers():
        index[la.name] = la
        index[la.short_name] = la
        index[str(la.guid).upper()] = la
        index[la.runtime_name] = la
        if la.id is not None:
            index[la.id] = la
    return index


_FIELD_INDEXES: dict[str, dict[str, Field]] = {}


def _field_index(la: Layer) -> dict[str, Field]:
    index = _FIELD_INDEXES.get(la.name)
    if index is None:
        index = {}
        for f in la.fields:
            index[f.name] = f
            index[f.name.removeprefix("FWPS_FIELD_")] = f
            suffix = f.name.split(f"_{la.short_name.removesuffix('_DISCARD')}_", 1)[-1]
            index.setdefault(suffix, f)
            if f.condition and f.condition_guid:
                index.setdefault(f.condition, f)
                index.setdefault(f.condition.removeprefix("FWPM_CONDITION_"), f)
                index.setdefault(str(f.condition_guid).upper(), f)
        for alias, target in _raw()["aliases"].items():
            if target in index and alias.startswith("FWPM_CONDITION_"):
                index.setdefault(alias, index[target])
                index.setdefault(alias.removeprefix("FWPM_CONDITION_"), index[target])
        _FIELD_INDEXES[la.name] = index
    return index


def layers() -> tuple[Layer, ...]:
    """Every management layer, ordered by run-time id (layers without one last)."""
    return _layers()


def layer(key: str | int | uuid.UUID | Layer) -> Layer:
    """A layer by short name, ``FWPM_LAYER_*``/``FWPS_LAYER_*`` name, GUID or run-time id.

    Raises:
        LayerNotFoundError: nothing matches ``key``.
    """
    if isinstance(key, Layer):
        return key
    if isinstance(key, uuid.UUID):
        key = str(key)
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key)  # "48" as typed on a command line or in a scenario file
    found = _layer_index().get(key if isinstance(key, int) else _norm(key))
    if found is None:
        raise LayerNotFoundError(
            f"no layer {key!r}; give a short name (ALE_AUTH_CONNECT_V4), a full name "
            "(FWPM_LAYER_ALE_AUTH_CONNECT_V4), a GUID or a run-time id (0-81); "
            "`wfpsim layers` lists them all"
        )
    return found


@cache
def conditions() -> dict[str, ConditionInfo]:
    """Every ``FWPM_CONDITION_*`` by name (aliases included)."""
    return {
        name: ConditionInfo(name, uuid.UUID(raw["guid"]))
        for name, raw in _raw()["conditions"].items()
    }


def condition(key: str | uuid.UUID) -> ConditionInfo:
    """A condition identifier by name (with or without prefix) or GUID."""
    table = conditions()
    guid = parse_guid(key)
    if guid is not None:
        for info in table.values():
            if info.guid == guid:
                return info
    elif isinstance(key, str):
        name = _norm(key)
        name = name if name.startswith("FWPM_CONDITION_") else "FWPM_CONDITION_" + name
        if name in table:
            return table[name]
    raise ConditionNotFoundError(
        f"no condition {key!r}; give a name like IP_REMOTE_PORT or FWPM_CONDITION_IP_REMOTE_PORT"
        " or its GUID"
    )


@cache
def builtin_sublayers() -> tuple[SublayerInfo, ...]:
    """The built-in sublayers, highest weight first (weights measured on real machines)."""
    subs = [SublayerInfo(s["name"], uuid.UUID(s["guid"]), s["weight"]) for s in _raw()["sublayers"]]
    subs.sort(key=lambda s: (-(s.weight if s.weight is not None else -1), s.name))
    return tuple(subs)


def builtin_sublayer(key: str | uuid.UUID) -> SublayerInfo:
    """A built-in sublayer by name (with or without ``FWPM_SUBLAYER_``) or GUID."""
    guid = parse_guid(key)
    aliases = _raw()["aliases"]
    for s in builtin_sublayers():
        if guid is not None and s.guid == guid:
            return s
        if isinstance(key, str):
            name = _norm(key)
            name = name if name.startswith("FWPM_SUBLAYER_") else "FWPM_SUBLAYER_" + name
            if s.name == aliases.get(name, name):
                return s
    raise SublayerNotFoundError(f"no built-in sublayer {key!r}")


@cache
def named_guids() -> dict[str, uuid.UUID]:
    """Every well-known GUID by its SDK name: layers, sublayers, conditions, callouts, providers."""
    raw = _raw()
    out: dict[str, uuid.UUID] = {la.name: la.guid for la in _layers()}
    out.update({s.name: s.guid for s in builtin_sublayers()})
    out.update({n: c.guid for n, c in conditions().items()})
    out.update({n: uuid.UUID(g) for n, g in raw["callouts"].items()})
    out.update({n: uuid.UUID(g) for n, g in raw["providers"].items()})
    for alias, target in raw["aliases"].items():
        if target in out:
            out.setdefault(alias, out[target])
    return out


UNIVERSAL = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")
