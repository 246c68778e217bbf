"""What BFE admits: references, lifetimes, flags and the shape of a new filter.

Functions over the store that only read it, used by :class:`~wfpsim.session.Session`. The
lifetime rules are those of Microsoft's "Object Management" page (Windows Filtering Platform):
an object may not reference a shorter-lived one, and a dynamic session deletes only its own.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import fields

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
    Callout,
    CalloutFlag,
    Filter,
    FilterFlag,
    Provider,
    ProviderFlag,
    Sublayer,
    SublayerFlag,
)
from wfpsim.store import ObjectKind, Store
from wfpsim.values import DataType
from wfpsim.weight import effective_weight


class Lifetime(enum.IntEnum):
    """How long an object lives, shortest first ("Object Management", WFP documentation)."""

    DYNAMIC = 0
    STATIC = 1
    PERSISTENT = 2
    BUILTIN = 3

    def __str__(self) -> str:
        return self.name.lower()


def lifetime_of(store: Store, kind: ObjectKind, obj: Provider | Sublayer | Callout) -> Lifetime:
    """An object's lifetime: owned by a dynamic session, persistent, static or built in."""
    if isinstance(obj, Sublayer) and obj.builtin:
        return Lifetime.BUILTIN
    if (kind, obj.key) in store.owners:
        return Lifetime.DYNAMIC
    return Lifetime.PERSISTENT if int(obj.flags) & _PERSISTENT[kind] else Lifetime.STATIC


#: The ``*_FLAG_PERSISTENT`` bit of each kind of object (plain ints: tested on every add).
_PERSISTENT = {
    ObjectKind.PROVIDER: int(ProviderFlag.PERSISTENT),
    ObjectKind.SUBLAYER: int(SublayerFlag.PERSISTENT),
    ObjectKind.CALLOUT: int(CalloutFlag.PERSISTENT),
}


def new_lifetime(dynamic: bool, persistent: bool) -> Lifetime:
    """The lifetime of an object a session is adding."""
    if dynamic:
        return Lifetime.DYNAMIC
    return Lifetime.PERSISTENT if persistent else Lifetime.STATIC


def check_reference(
    store: Store,
    session: uuid.UUID,
    mine: Lifetime,
    kind: ObjectKind,
    obj: Provider | Sublayer | Callout,
) -> None:
    """An object may not reference a shorter-lived one, nor another session's dynamic one.

    Raises:
        LifetimeMismatchError: ``obj`` lives shorter than ``mine`` or belongs to another session.
    """
    theirs = lifetime_of(store, kind, obj)
    if theirs == Lifetime.BUILTIN:
        return
    owner = store.owners.get((kind, obj.key))
    foreign = owner is not None and owner != session
    if theirs < mine or foreign:
        raise LifetimeMismatchError(
            f"a {mine} object cannot reference {kind} {obj.name!r}, which is {theirs}"
            + (" and owned by another session" if foreign else "")
        )


def check_delete(
    store: Store, session: uuid.UUID, dynamic: bool, kind: ObjectKind, key: uuid.UUID, label: str
) -> None:
    """Who may delete what: a dynamic object only from its own session."""
    owner = store.owners.get((kind, key))
    if owner is not None and owner != session:
        raise WrongSessionError(f"{label} belongs to another dynamic session")
    if dynamic and owner is None:
        raise DynamicSessionInProgressError(
            f"a dynamic session can only delete its own objects; {label} is not dynamic"
        )


def _provider_of(store: Store, key: uuid.UUID | None, name: str) -> Provider | None:
    """The provider an object names (by key or name); None if it names none."""
    if key is None and not name:
        return None
    return store.find_provider(key if key is not None else name)


def provider_for(
    store: Store, key: uuid.UUID | None, name: str, session: uuid.UUID, mine: Lifetime
) -> Provider | None:
    """The provider an object names (by key or name), checked as a reference; None if none."""
    provider = _provider_of(store, key, name)
    if provider is not None:
        check_reference(store, session, mine, ObjectKind.PROVIDER, provider)
    return provider


def check_filter_flags(flags: FilterFlag, action: Action) -> None:
    """The flag combinations BFE refuses on a new filter.

    Raises:
        InvalidFlagsError: PERSISTENT with BOOTTIME, an output-only flag, or
            PERMIT_IF_CALLOUT_UNREGISTERED on a filter that calls no terminating callout.
    """
    bits = int(flags)
    if not bits & _CHECKED_FLAGS:
        return  # none of the flags below: nothing to refuse (the common case, tested first)
    if bits & _PERSISTENT_FILTER and bits & _BOOTTIME:
        raise InvalidFlagsError("PERSISTENT and BOOTTIME cannot be combined")
    if bits & _OUTPUT_ONLY:
        raise InvalidFlagsError("DISABLED and INDEXED are output-only flags; BFE sets them")
    if bits & _PERMIT_IF_UNREGISTERED and action not in (
        Action.CALLOUT_TERMINATING,
        Action.CALLOUT_UNKNOWN,
    ):
        # Microsoft does not name the error; our choice is FWP_E_INVALID_FLAGS.
        raise InvalidFlagsError(
            f"PERMIT_IF_CALLOUT_UNREGISTERED needs a CALLOUT_TERMINATING or CALLOUT_UNKNOWN "
            f"filter, not {action.name}"
        )


_PERSISTENT_FILTER = int(FilterFlag.PERSISTENT)
_BOOTTIME = int(FilterFlag.BOOTTIME)
_OUTPUT_ONLY = int(FilterFlag.DISABLED | FilterFlag.INDEXED)
_PERMIT_IF_UNREGISTERED = int(FilterFlag.PERMIT_IF_CALLOUT_UNREGISTERED)
_CHECKED_FLAGS = _PERSISTENT_FILTER | _BOOTTIME | _OUTPUT_ONLY | _PERMIT_IF_UNREGISTERED


def _sublayer_of(store: Store, flt: Filter) -> Sublayer:
    """The filter's sublayer (default: its layer's)."""
    return store.find_sublayer(flt.sublayer or flt.sublayer_name or flt.layer.default_sublayer)


def _callout_of(store: Store, flt: Filter) -> Callout | None:
    """The filter's callout when its action calls one, at the filter's layer."""
    named = flt.callout is not None or bool(flt.callout_name)
    if not flt.action.is_callout:
        if named:
            raise InvalidParameterError(
                f"filter {flt.name!r} is a static {flt.action.name} filter and cannot name a "
                "callout; use CALLOUT_TERMINATING, CALLOUT_INSPECTION or CALLOUT_UNKNOWN"
            )
        return None
    if not named:
        raise InvalidParameterError(
            f"filter {flt.name!r} is {flt.action.name} but names no callout; give callout="
        )
    callout = store.find_callout(flt.callout if flt.callout is not None else flt.callout_name)
    if callout.layer != flt.layer:
        raise IncompatibleLayerError(
            f"callout {callout.name!r} applies to {callout.layer.short_name}, "
            f"not {flt.layer.short_name}"
        )
    return callout


def _references(
    store: Store, flt: Filter, session: uuid.UUID, mine: Lifetime
) -> tuple[Sublayer, Callout | None, Provider | None]:
    """The sublayer, callout and provider a filter refers to, each checked as a reference.

    Every reference is found before any lifetime is compared, so a missing or misplaced object
    is reported before a lifetime clash (BFE's order between the two is undocumented; ours).
    """
    sub = _sublayer_of(store, flt)
    callout = _callout_of(store, flt)
    provider = _provider_of(store, flt.provider, flt.provider_name)
    refs = (
        (ObjectKind.SUBLAYER, sub),
        (ObjectKind.CALLOUT, callout),
        (ObjectKind.PROVIDER, provider),
    )
    for kind, obj in refs:
        if obj is not None:
            check_reference(store, session, mine, kind, obj)
    return sub, callout, provider


def admit_filter(
    store: Store, flt: Filter, session: uuid.UUID, dynamic: bool, key: uuid.UUID | None = None
) -> Filter:
    """Check a filter against the store and return it as BFE stores it.

    Resolves the sublayer (default: the layer's), callout and provider to keys, checks flags,
    references and lifetimes, types every condition, and assigns the filter id and effective
    weight (and ``key``, the one BFE generated, when given). Raises the matching ``FWP_E_*``
    error otherwise; ``store`` is only read.
    """
    key = key or flt.key
    if key in store.filter_keys:
        raise AlreadyExistsError(f"a filter with key {{{key}}} already exists")
    check_filter_flags(flt.flags, flt.action)
    mine = new_lifetime(dynamic, bool(int(flt.flags) & _PERSISTENT_FILTER))
    sub, callout, provider = _references(store, flt, session, mine)
    conditions = tuple([resolve(flt.layer, c) for c in flt.conditions])
    return _stored(
        flt,
        key=key,
        sublayer=sub.key,
        sublayer_name=sub.name,
        callout=callout.key if callout else None,
        callout_name=callout.name if callout else "",
        provider=provider.key if provider else None,
        provider_name=provider.name if provider else "",
        conditions=conditions,
        filter_id=_filter_id(store, flt),
        effective_weight=_effective(flt, conditions),
    )


#: Filter's fields, in order (what :func:`_stored` copies).
_FILTER_FIELDS = tuple(f.name for f in fields(Filter))


def _stored(flt: Filter, **changes: object) -> Filter:
    """``dataclasses.replace(flt, **changes)`` without running :class:`Filter`'s constructor
    again: the filter's own fields were checked when it was made, and ``changes`` are what
    admission found or computed (keys, names, resolved conditions, id, effective weight).
    Checking them all a second time was a fifth of the cost of an add."""
    out = object.__new__(Filter)
    set_ = object.__setattr__
    for name in _FILTER_FIELDS:
        if name not in changes:
            set_(out, name, getattr(flt, name))
    for name, value in changes.items():
        set_(out, name, value)
    return out


def _filter_id(store: Store, flt: Filter) -> int:
    """The next id, or the one an importer asked for when it is free (a dump's run-time id)."""
    wanted = flt.filter_id
    return wanted if wanted > 0 and wanted not in store.filters else store.next_filter_id


def _effective(flt: Filter, conditions: tuple[Condition, ...]) -> int:
    """The effective weight; an imported one is kept when it agrees with the weight's form.

    Windows' automatic low 60 bits are unpublished, so a dump's ``effectiveWeight`` is the only
    faithful order for imported filters.
    """
    computed = effective_weight(flt.weight, conditions)
    given = flt.effective_weight
    if not given or flt.weight.type == DataType.UINT64:
        return computed
    return given if given >> 60 == flt.weight.range_top else computed
