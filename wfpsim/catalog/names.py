"""Well-known WFP identifiers by name and GUID: what a symbolic name in a dump stands for.

``netsh wfp show state`` prints well-known GUIDs by their SDK names
(``FWPM_PROVIDER_MPSSVC_APP_ISOLATION``,
``FWPM_CALLOUT_OUTBOUND_NETWORK_CONNECTION_POLICY_LAYER_V4``).
:func:`identifier` answers both ways, name → GUID and GUID → name, for every ``FWPM_LAYER_*``,
``FWPM_SUBLAYER_*``, ``FWPM_CONDITION_*``, ``FWPM_CALLOUT_*``, ``FWPM_PROVIDER_*``,
``FWPM_PROVIDER_CONTEXT_*`` and ``FWPM_KEYING_MODULE_*`` of the SDK headers, with the first SDK
that declares it:

>>> info = identifier("FWPM_CALLOUT_OUTBOUND_NETWORK_CONNECTION_POLICY_LAYER_V4")
>>> (info.kind, str(info.guid), info.since)
('callout', '103090d4-8e28-4fd6-9894-d1d67d6b10c9', '10.0.22621')
>>> identifier("{3cc2631f-2d5d-43a0-b174-614837d863a1}").name
'FWPM_PROVIDER_MPSSVC_APP_ISOLATION'
>>> builtin_callout("FWPM_CALLOUT_BUILT_IN_RESERVED_1").layer
'FWPM_LAYER_ALE_ACCEPT_REDIRECT_V4'
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import cache

from wfpsim.catalog._data import raw
from wfpsim.errors import InvalidParameterError

__all__ = [
    "CalloutInfo",
    "IdentifierInfo",
    "builtin_callout",
    "builtin_callouts",
    "identifier",
    "identifiers",
    "named_guids",
    "sdk_version",
]

_KINDS = {
    "layers": "layer",
    "sublayers": "sublayer",
    "conditions": "condition",
    "callouts": "callout",
    "providers": "provider",
    "provider_contexts": "provider_context",
    "keying_modules": "keying_module",
}


@dataclass(frozen=True, slots=True)
class IdentifierInfo:
    """One well-known GUID: its SDK name, what kind of object it names, where it comes from.

    ``since`` is the first Windows SDK declaring it (None: no SDK does — a name of ours for an
    undocumented object real machines report, ``documented`` False). ``alias_of`` names the
    identifier an SDK ``#define`` makes this one a synonym of.
    """

    name: str
    kind: str
    guid: uuid.UUID
    since: str | None
    documented: bool = True
    alias_of: str | None = None


@dataclass(frozen=True, slots=True)
class CalloutInfo:
    """A built-in ``FWPM_CALLOUT_*`` and the layer a real Windows 11 machine registers it at.

    ``layer`` and ``display_name`` are as the BFE reports them in the shared dumps (None when
    no dump shows the callout); the SDK names only the GUID.
    """

    name: str
    guid: uuid.UUID
    since: str | None
    layer: str | None
    display_name: str | None


def sdk_version() -> str:
    """The Windows SDK the catalog's baseline comes from (``"10.0.26100"``)."""
    return str(raw()["sdk"])


@cache
def identifiers() -> dict[str, IdentifierInfo]:
    """Every well-known identifier by name (SDK aliases included)."""
    data = raw()
    out: dict[str, IdentifierInfo] = {}
    for la in data["layers"]:
        out[la["name"]] = IdentifierInfo(
            la["name"], "layer", uuid.UUID(la["guid"]), la["since"], la.get("documented", True)
        )
    for sub in data["sublayers"]:
        out[sub["name"]] = IdentifierInfo(
            sub["name"], "sublayer", uuid.UUID(sub["guid"]), sub.get("since")
        )
    for table in ("conditions", "callouts", "providers", "provider_contexts", "keying_modules"):
        for name, entry in data.get(table, {}).items():
            out[name] = IdentifierInfo(
                name, _KINDS[table], uuid.UUID(entry["guid"]), entry.get("since")
            )
    for alias, target in data["aliases"].items():
        if target in out:
            t = out[target]
            out[alias] = IdentifierInfo(alias, t.kind, t.guid, t.since, t.documented, target)
    return out


@cache
def _by_guid() -> dict[uuid.UUID, IdentifierInfo]:
    index: dict[uuid.UUID, IdentifierInfo] = {}
    for info in identifiers().values():
        if info.alias_of is None:
            index.setdefault(info.guid, info)
    return index


def identifier(key: str | uuid.UUID) -> IdentifierInfo:
    """A well-known identifier by its SDK name or its GUID (``{…}`` or bare).

    Raises:
        InvalidParameterError: neither a known name nor a known GUID.
    """
    guid = key if isinstance(key, uuid.UUID) else None
    if isinstance(key, str):
        found = identifiers().get(key.strip())
        if found is not None:
            return found
        try:
            guid = uuid.UUID(key.strip().strip("{}"))
        except ValueError:
            guid = None
    if guid is not None and guid in _by_guid():
        return _by_guid()[guid]
    raise InvalidParameterError(
        f"{str(key)!r} is not a well-known WFP identifier of the Windows SDK {sdk_version()} "
        "headers; give a name like FWPM_PROVIDER_MPSSVC_WF or FWPM_CALLOUT_..., or a GUID"
    )


@cache
def named_guids() -> dict[str, uuid.UUID]:
    """Every well-known GUID by its SDK name: layers, sublayers, conditions, callouts, providers.

    Undocumented layers (named by us, not by the SDK) are left out; find them with
    :func:`wfpsim.catalog.layer`.
    """
    return {n: info.guid for n, info in identifiers().items() if info.documented}


@cache
def builtin_callouts() -> tuple[CalloutInfo, ...]:
    """The SDK's ``FWPM_CALLOUT_*`` GUIDs, by name, with the layer Windows puts each at."""
    return tuple(
        CalloutInfo(
            name,
            uuid.UUID(entry["guid"]),
            entry.get("since"),
            entry.get("layer"),
            entry.get("display_name"),
        )
        for name, entry in sorted(raw()["callouts"].items())
    )


def builtin_callout(key: str | uuid.UUID) -> CalloutInfo:
    """A built-in callout by ``FWPM_CALLOUT_*`` name (or SDK alias) or GUID.

    Raises:
        InvalidParameterError: not a built-in callout.
    """
    info = identifier(key)
    for callout in builtin_callouts():
        if callout.guid == info.guid and info.kind == "callout":
            return callout
    raise InvalidParameterError(f"{str(key)!r} is a {info.kind}, not a built-in callout")
