"""Filter weights: ``FWPM_FILTER0.weight`` and the effective weight BFE computes from it.

>>> effective_weight(Weight.range(3), ())
3458764513820540928
>>> hex(effective_weight(Weight.range(3), ()))
'0x3000000000000000'
>>> effective_weight(Weight.exact(0x1234), ())
4660
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wfpsim.conditions import Condition, group_by_field
from wfpsim.errors import InvalidWeightError
from wfpsim.ids import FWPM_AUTO_WEIGHT_BITS, FWPM_WEIGHT_RANGE_MAX
from wfpsim.values import DataType

#: ``FWPM_AUTO_WEIGHT_BITS``, ``FWPM_AUTO_WEIGHT_MAX``, ``FWPM_WEIGHT_RANGE_MAX`` (fwpmu.h).


@dataclass(frozen=True, slots=True)
class Weight:
    """``FWPM_FILTER0.weight``: ``FWP_EMPTY``, ``FWP_UINT8`` (a range 0–15) or ``FWP_UINT64``."""

    type: DataType = DataType.EMPTY
    value: int | None = None

    def __post_init__(self) -> None:
        if self.type == DataType.EMPTY:
            return
        if self.type == DataType.UINT8:
            if not isinstance(self.value, int) or not 0 <= self.value <= FWPM_WEIGHT_RANGE_MAX:
                raise InvalidWeightError(
                    f"weight range {self.value!r} is invalid: an FWP_UINT8 weight is a range "
                    f"0..{FWPM_WEIGHT_RANGE_MAX}"
                )
        elif self.type == DataType.UINT64:
            if not isinstance(self.value, int) or not 0 <= self.value < 1 << 64:
                raise InvalidWeightError(
                    f"weight {self.value!r} is invalid: an FWP_UINT64 weight is 0..2^64-1"
                )
        else:
            raise InvalidWeightError(
                f"weight type {self.type.fwp_name} is invalid: use FWP_EMPTY, FWP_UINT8 or "
                "FWP_UINT64"
            )

    @classmethod
    def empty(cls) -> Weight:
        """Let BFE pick the weight (one shared value: a weight never changes)."""
        return _EMPTY if cls is Weight else cls()

    @classmethod
    def range(cls, number: int) -> Weight:
        """An ``FWP_UINT8`` weight range 0–15: the top four bits of the effective weight."""
        return cls(DataType.UINT8, number)

    @classmethod
    def exact(cls, number: int) -> Weight:
        """An ``FWP_UINT64`` weight, used as is."""
        return cls(DataType.UINT64, number)

    @classmethod
    def coerce(cls, raw: Weight | int | None) -> Weight:
        """``None`` → empty, an int → ``FWP_UINT64``, a Weight unchanged."""
        if raw is None:
            return cls.empty()
        if isinstance(raw, Weight):
            return raw
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidWeightError(f"weight {raw!r} is not an integer, Weight.range(n) or None")
        return cls.exact(raw)

    @property
    def range_top(self) -> int:
        """The four top bits this weight fixes: its range for ``FWP_UINT8``, else 0."""
        return self.value if self.type == DataType.UINT8 and self.value is not None else 0

    def describe(self) -> str:
        """``FWP_UINT8 3`` style text."""
        if self.type == DataType.EMPTY:
            return "FWP_EMPTY"
        return f"{self.type.fwp_name} {self.value:#x}"


#: The ``FWP_EMPTY`` weight most filters carry (shared, not one per filter).
_EMPTY = Weight()


def auto_weight(conditions: Sequence[Condition]) -> int:
    """The low 60 bits BFE generates "based on the filter conditions".

    Microsoft does not publish the algorithm. **Our choice** (non-normative): the more
    distinct fields a filter tests, the more specific it is and the higher it weighs —
    ``distinct_fields << 52`` (so at most 255 fields, far above any real filter). Filters
    testing the same number of fields tie; the engine then orders them by filter id.
    """
    distinct = min(len(group_by_field(conditions)), 0xFF)
    return distinct << 52


def effective_weight(weight: Weight, conditions: Sequence[Condition]) -> int:
    """``FWPM_FILTER0.effectiveWeight`` per the weight-assignment rules.

    ``FWP_UINT64`` is used unchanged; ``FWP_UINT8`` r gives ``(r << 60) | auto``; ``FWP_EMPTY``
    gives ``auto`` (so it behaves like range 0).
    """
    if weight.type == DataType.UINT64 and weight.value is not None:
        return weight.value
    return (weight.range_top << FWPM_AUTO_WEIGHT_BITS) | auto_weight(conditions)
