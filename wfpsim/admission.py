"""What BFE admits: references, lifetimes, flags and the shape of a new filter.

Pure functions over a store snapshot, used by :class:`~wfpsim.session.Session`.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from wfpsim.conditions import Condition, resolve
from wfpsim.errors import (
    AlreadyExistsError,
    DynamicSessionInProgressError,
    IncompatibleLayerError,
    InvalidFlagsError,
    InvalidParameterError,
    LifetimeMismatchError,
    WrongSessionError,
)
from wfpsim.objects import (
    Action,
    CalloutFlag,
    Filter,
    FilterFlag,
    ProviderFlag,
    SublayerFlag,
    effective_weight,
)
from wfpsim.store import Snapshot
from wfpsim.values import DataType

#: Lifetimes from shortest to longest ([D-objmgmt]).
LIFETIME = {"dynamic": 0, "static": 1, "persistent": 2, "builtin": 3}


def lifetime(snap: Snapshot, kind: str, key: uuid.UUID, persistent: bool) -> str:
    """``dynamic`` (owned by a dynamic session), ``persistent`` or ``static``."""
    if (kind, key) in snap.owners:
        return "dynamic"
    return "persistent" if persistent else "static"


def check_reference(
    snap: Snapshot,
    session: uuid.UUID,
    mine: str,
    kind: str,
    key: uuid.UUID,
    persistent: bool,
    what: str,
) -> None:
    """Objects may not reference shorter-lived ones ([D-objmgmt])."""
    if kind == "sublayer" and snap.sublayers[key].builtin:
        return
    theirs = lifetime(snap, kind, key, persistent)
    owner = snap.owners.get((kind, key))
    if LIFETIME[theirs] < LIFETIME[mine] or (owner is not None and owner != session):
        raise LifetimeMismatchError(
            f"a {mine} object cannot reference {what}, which is {theirs}"
            + (" and owned by another session" if owner not in (None, session) else "")
        )


def check_delete(
    snap: Snapshot, session: uuid.UUID, dynamic: bool, kind: str, key: uuid.UUID, label: str
) -> None:
    """Who may delete what: a dynamic object only from its own session ([A-fdel])."""
    owner = snap.owners.get((kind, key))
    if owner is not None and owner != session:
        raise WrongSessionError(f"{label} belongs to another dynamic session")
    if dynamic and owner is None:
        raise DynamicSessionInProgressError(
            f"a dynamic session can only delete its own objects; {label} is not dynamic"
        )


def admit_filter(snap: Snapshot, flt: Filter, session: uuid.UUID, dynamic: bool) -> Filter:
    """Check a filter against the store and return it as BFE stores it.

    Resolves the sublayer (default: the layer's), callout and provider to keys, checks
    flags, references and lifetimes, types every condition, and assigns the filter id and
    effective weight. Raises the matching ``FWP_E_*`` error otherwise. Pure: ``snap`` is
    only read.
    """
    layer = flt.layer_
    key = flt.key
    if key in snap.filter_keys:
        raise AlreadyExistsError(f"a filter with key {{{key}}} already exists")
    flags = flt.filter_flags
    persistent = bool(flags & FilterFlag.PERSISTENT)
    mine = "dynamic" if dynamic else "persistent" if persistent else "static"
    if flags & FilterFlag.PERSISTENT and flags & FilterFlag.BOOTTIME:
        raise InvalidFlagsError("PERSISTENT and BOOTTIME cannot be combined")
    if flags & (FilterFlag.DISABLED | FilterFlag.INDEXED):
        raise InvalidFlagsError("DISABLED and INDEXED are output-only flags; BFE sets them")
    action = flt.action_type
    if flags & FilterFlag.PERMIT_IF_CALLOUT_UNREGISTERED and action not in (
        Action.CALLOUT_TERMINATING,
        Action.CALLOUT_UNKNOWN,
    ):
        # [UNDOCUMENTED] exact code; we use FWP_E_INVALID_FLAGS (reference case 28).
        raise InvalidFlagsError(
            f"PERMIT_IF_CALLOUT_UNREGISTERED needs a CALLOUT_TERMINATING or CALLOUT_UNKNOWN "
            f"filter, not {action.name}"
        )
    sub = snap.find_sublayer(flt.sublayer if flt.sublayer else layer.default_sublayer)
    check_reference(
        snap,
        session,
        mine,
        "sublayer",
        sub.key,
        bool(sub.flags & SublayerFlag.PERSISTENT),
        f"sublayer {sub.name!r}",
    )
    callout_key = None
    if action.is_callout:
        if not flt.callout:
            raise InvalidParameterError(
                f"filter {flt.name!r} is {action.name} but names no callout; give callout="
            )
        c = snap.find_callout(flt.callout)
        if c.applicable_layer != layer:
            raise IncompatibleLayerError(
                f"callout {c.name!r} applies to {c.applicable_layer.short_name}, "
                f"not {layer.short_name}"
            )
        check_reference(
            snap,
            session,
            mine,
            "callout",
            c.key,
            bool(c.flags & CalloutFlag.PERSISTENT),
            f"callout {c.name!r}",
        )
        callout_key = c.key
    elif flt.callout:
        raise InvalidParameterError(
            f"filter {flt.name!r} is a static {action.name} filter and cannot name a callout;"
            " use CALLOUT_TERMINATING, CALLOUT_INSPECTION or CALLOUT_UNKNOWN"
        )
    provider_key = None
    if flt.provider:
        p = snap.find_provider(flt.provider)
        check_reference(
            snap,
            session,
            mine,
            "provider",
            p.key,
            bool(p.flags & ProviderFlag.PERSISTENT),
            f"provider {p.name!r}",
        )
        provider_key = p.key
    conditions = tuple(resolve(layer, c) for c in flt.conditions)
    return replace(
        flt,
        key=key,
        sublayer=sub.key,
        callout=callout_key,
        provider=provider_key,
        conditions=conditions,
        filter_id=_filter_id(snap, flt),
        effective_weight=_effective(flt, conditions),
    )


def _filter_id(snap: Snapshot, flt: Filter) -> int:
    """The next id, or the one an importer asked for when it is free (a dump's run-time id)."""
    wanted = flt.filter_id
    return wanted if wanted > 0 and wanted not in snap.filters else snap.next_filter_id


def _effective(flt: Filter, conditions: tuple[Condition, ...]) -> int:
    """The effective weight; an imported one is kept when it agrees with the weight's form.

    Windows' automatic low 60 bits are unpublished, so a dump's ``effectiveWeight`` is the only
    faithful order for imported filters.
    """
    computed = effective_weight(flt.weight_, conditions)
    given = flt.effective_weight
    weight = flt.weight_
    if not given or weight.type == DataType.UINT64:
        return computed
    top = weight.value if weight.type == DataType.UINT8 and weight.value is not None else 0
    return given if given >> 60 == top else computed
