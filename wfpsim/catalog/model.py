"""The catalog's value types: layers, fields, conditions and built-in sublayers.

Built by :mod:`wfpsim.catalog` from its data and looked up there (``layer(...)``); kept apart so
each module holds one concept.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field

from wfpsim.catalog._data import raw as _raw
from wfpsim.errors import ConditionNotFoundError
from wfpsim.values import DataType

#: ``FWPM_SUBLAYER_UNIVERSAL``: every layer's default sublayer.
UNIVERSAL = uuid.UUID("eebecc03-ced4-4380-819a-2734397b2b74")


class LayerKind(enum.Enum):
    """What a layer classifies (Microsoft Learn, *Filtering Layer Identifiers*)."""

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
    """One ``FWPS_FIELD_<LAYER>_*`` enumerator: an index into ``incomingValue[]``; ``since`` is
    the first SDK whose ``fwpsu.h`` declares it (None for an undocumented layer's fields)."""

    index: int
    name: str
    condition: str | None
    condition_guid: uuid.UUID | None
    type: DataType | None
    accepts: tuple[DataType, ...]
    since: str | None = None

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
    """A filtering layer: ``FWPM_LAYER_*`` GUID, ``FWPS_LAYER_*`` id and its fields.

    ``id`` is the run-time id in the baseline SDK (:func:`sdk_version`); ids above 81 moved
    between SDKs (``ids_by_sdk`` lists them) and are marked ``id_stable=False``. ``since`` is
    the first SDK declaring the layer's GUID (``"6.0"``, ``"7.0"``, ``"8.0"``, ``"8.1"`` for
    identifiers of the Vista-to-8.1 SDKs, read from their ``NTDDI_VERSION`` guard; measured
    for 10.0.x), ``ntddi`` that guard. ``documented=False`` marks a layer no header or
    Microsoft page names (real machines report it; ``note`` says what is known).
    ``field_aliases`` are the header's ``#define`` synonyms of fields
    (``FWPS_FIELD_INBOUND_TRANSPORT_V4_ICMP_TYPE`` for ``…_IP_LOCAL_PORT``).
    """

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
    since: str | None
    fields_enum: str | None
    fields: tuple[Field, ...] = field(repr=False)
    ntddi: str | None = None
    documented: bool = True
    note: str | None = None
    ids_by_sdk: tuple[tuple[str, int], ...] = ()
    runtime_alias: str | None = None
    field_aliases: tuple[tuple[str, str], ...] = ()

    @property
    def short_name(self) -> str:
        """``ALE_AUTH_CONNECT_V4`` for ``FWPM_LAYER_ALE_AUTH_CONNECT_V4``."""
        return self.name.removeprefix("FWPM_LAYER_")

    @property
    def runtime_name(self) -> str:
        """The run-time identifier, ``FWPS_LAYER_ALE_AUTH_CONNECT_V4``.

        For an undocumented layer it is the header's name for its id
        (``FWPS_LAYER_RESERVED_LAYER_9`` for the ALE accept-redirect v4 layer).
        """
        return self.runtime_alias or "FWPS_LAYER_" + self.short_name

    @property
    def family(self) -> str:
        """``ALE_AUTH_CONNECT`` for ``ALE_AUTH_CONNECT_V4``, ``…_V6`` and the discard twins."""
        return self.short_name.removesuffix("_DISCARD").removesuffix(f"_V{self.ip_version}")

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
    """A ``FWPM_CONDITION_*`` identifier and the first SDK declaring it (``since``)."""

    name: str
    guid: uuid.UUID
    since: str | None = None

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
    since: str | None = None


def _norm(name: str) -> str:
    return name.strip().strip("{}").upper()


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
        for alias, target in la.field_aliases:  # fwpsu.h #defines (…_ICMP_TYPE)
            found = index[target]
            index.setdefault(alias, found)
            index.setdefault(alias.removeprefix("FWPS_FIELD_"), found)
            base = la.short_name.removesuffix("_DISCARD")
            index.setdefault(alias.removeprefix(f"FWPS_FIELD_{base}_"), found)
        for alias, target in _raw()["aliases"].items():
            if target in index and alias.startswith("FWPM_CONDITION_"):
                index.setdefault(alias, index[target])
                index.setdefault(alias.removeprefix("FWPM_CONDITION_"), index[target])
        _FIELD_INDEXES[la.name] = index
    return index
