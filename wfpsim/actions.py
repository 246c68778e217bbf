"""Filter actions and the flag sets of BFE objects (``FWP_ACTION_*``, ``FWPM_*_FLAG_*``).

>>> Action.parse("FWP_ACTION_BLOCK"), Action.BLOCK.fwp_name
(<Action.BLOCK: 4097>, 'FWP_ACTION_BLOCK')
>>> FilterFlag.parse(["CLEAR_ACTION_RIGHT", 0x10])
<FilterFlag.CLEAR_ACTION_RIGHT|PERMIT_IF_CALLOUT_UNREGISTERED: 24>
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from functools import cache
from typing import TypeVar

from wfpsim.errors import InvalidActionTypeError, InvalidFlagsError


class Action(enum.IntEnum):
    """``FWP_ACTION_TYPE`` values (fwptypes.h); members are the names minus ``FWP_ACTION_``."""

    BLOCK = 0x00001001
    PERMIT = 0x00001002
    CALLOUT_TERMINATING = 0x00005003
    CALLOUT_INSPECTION = 0x00006004
    CALLOUT_UNKNOWN = 0x00004005
    CONTINUE = 0x00002006
    NONE = 0x00000007
    NONE_NO_MATCH = 0x00000008

    def __str__(self) -> str:
        return self.name

    @property
    def fwp_name(self) -> str:
        """The real identifier, e.g. ``FWP_ACTION_BLOCK``."""
        return f"FWP_ACTION_{self.name}"

    @property
    def is_callout(self) -> bool:
        """``FWP_ACTION_FLAG_CALLOUT`` (0x4000) is set."""
        return bool(self.value & 0x4000)

    @classmethod
    def parse(cls, text: str | int | Action) -> Action:
        """By ``BLOCK``, ``FWP_ACTION_BLOCK`` or number."""
        if isinstance(text, Action):
            return text
        if isinstance(text, int) and not isinstance(text, bool):
            try:
                return cls(text)
            except ValueError:
                pass
        elif isinstance(text, str):
            key = text.strip().upper().removeprefix("FWP_ACTION_")
            found = cls._member_map_.get(key)
            if isinstance(found, cls):
                return found
        valid = ", ".join(a.name for a in FILTER_ACTIONS)
        raise InvalidActionTypeError(
            f"unknown action {text!r}; a filter's action is one of {valid}"
        )


#: The action types a filter may carry (``FWPM_ACTION0.type``).
FILTER_ACTIONS = (
    Action.BLOCK,
    Action.PERMIT,
    Action.CALLOUT_TERMINATING,
    Action.CALLOUT_INSPECTION,
    Action.CALLOUT_UNKNOWN,
)


class FilterFlag(enum.IntFlag):
    """``FWPM_FILTER_FLAG_*`` (fwpmtypes.h); members are the names minus the prefix."""

    NONE = 0x0
    PERSISTENT = 0x1
    BOOTTIME = 0x2
    HAS_PROVIDER_CONTEXT = 0x4
    CLEAR_ACTION_RIGHT = 0x8
    PERMIT_IF_CALLOUT_UNREGISTERED = 0x10
    DISABLED = 0x20
    INDEXED = 0x40
    HAS_SECURITY_REALM_PROVIDER_CONTEXT = 0x80
    SYSTEMOS_ONLY = 0x100
    GAMEOS_ONLY = 0x200
    SILENT_MODE = 0x400
    IPSEC_NO_ACQUIRE_INITIATE = 0x800

    @classmethod
    def parse(cls, items: FilterFlag | int | str | Iterable[str | int]) -> FilterFlag:
        """From a number, a name (``CLEAR_ACTION_RIGHT`` / ``FWPM_FILTER_FLAG_…``) or a list."""
        if isinstance(items, FilterFlag):
            return items
        if isinstance(items, (int, str)):
            items = [items]
        if not isinstance(items, Iterable):
            raise InvalidFlagsError(f"filter flags {items!r} are not a number, a name or a list")
        out = cls.NONE
        for item in items:
            if isinstance(item, int):
                out |= check_flags(cls, item, "filter flags")
                continue
            if not isinstance(item, str):
                raise InvalidFlagsError(f"filter flag {item!r} is not a name or a number")
            key = item.strip().upper().removeprefix("FWPM_FILTER_FLAG_")
            if key not in cls.__members__:
                valid = ", ".join(f.name or "" for f in cls if f.name != "NONE")
                raise InvalidFlagsError(f"unknown filter flag {item!r}; valid: {valid}")
            out |= cls[key]
        return out


class SublayerFlag(enum.IntFlag):
    """``FWPM_SUBLAYER_FLAG_*``."""

    NONE = 0x0
    PERSISTENT = 0x1


class ProviderFlag(enum.IntFlag):
    """``FWPM_PROVIDER_FLAG_*``."""

    NONE = 0x0
    PERSISTENT = 0x1
    DISABLED = 0x10


class CalloutFlag(enum.IntFlag):
    """``FWPM_CALLOUT_FLAG_*`` (management object)."""

    NONE = 0x0
    PERSISTENT = 0x00010000
    USES_PROVIDER_CONTEXT = 0x00020000
    REGISTERED = 0x00040000


F = TypeVar("F", bound=enum.IntFlag)


@cache
def _known_bits(kind: type[enum.IntFlag]) -> int:
    known = 0
    for member in kind:
        known |= int(member)
    return known


def check_flags(kind: type[F], value: object, what: str) -> F:
    """``value`` as ``kind``, refused when it is not an integer of ``kind``'s bits.

    Raises:
        InvalidFlagsError: not an integer, negative, or with bits ``kind`` does not define.
    """
    if isinstance(value, kind):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFlagsError(f"{what} {value!r} is not an integer of {kind.__name__} bits")
    if value & ~_known_bits(kind) or value < 0:
        valid = ", ".join(f"{m.name} ({int(m):#x})" for m in kind if m)
        raise InvalidFlagsError(f"{what} {value:#x} has unknown bits; valid: {valid}")
    return kind(value)
