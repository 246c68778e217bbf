"""Weights: the three forms, effective weight, ordering and tie-break (cases 30-34)."""

import pytest

from wfpsim import Condition, Engine, Filter, Sublayer, Weight
from wfpsim.errors import InvalidWeightError
from wfpsim.ids import FWPM_AUTO_WEIGHT_MAX
from wfpsim.weight import auto_weight, effective_weight

LAYER = "ALE_AUTH_CONNECT_V4"


def test_case30_uint64_used_unchanged() -> None:
    """Case 30: FWP_UINT64 0x1234 -> effective weight 0x1234."""
    f = Engine().add_filter(Filter("f", LAYER, weight=0x1234))
    assert f.effective_weight == 0x1234


def test_case31_uint8_is_the_top_nibble() -> None:
    """Case 31: FWP_UINT8 3 -> effective weight in [0x3000…, 0x3FFF…]."""
    f = Engine().add_filter(
        Filter(
            "f",
            LAYER,
            weight=Weight.range(3),
            conditions=[Condition("IP_REMOTE_PORT", "EQUAL", 80)],
        )
    )
    assert 0x3000000000000000 <= f.effective_weight <= 0x3FFFFFFFFFFFFFFF
    assert f.effective_weight >> 60 == 3


def test_case32_any_range_outranks_every_auto_weight() -> None:
    """Case 32: range 1 beats FWP_EMPTY however many conditions the other has."""
    engine = Engine()
    fa = engine.add_filter(Filter("Fa", LAYER, "BLOCK", weight=Weight.range(1)))
    many = [
        Condition(c, "EQUAL", v)
        for c, v in [("IP_REMOTE_PORT", 1), ("IP_PROTOCOL", 6), ("IP_LOCAL_PORT", 2)]
    ]
    fb = engine.add_filter(Filter("Fb", LAYER, "PERMIT", many))
    assert fa.effective_weight > fb.effective_weight
    assert fb.effective_weight <= FWPM_AUTO_WEIGHT_MAX
    assert [f.name for f in engine.filters(LAYER)] == ["Fa", "Fb"]


def test_case33_range_above_15_is_invalid() -> None:
    """Case 33: FWP_UINT8 16 -> FWP_E_INVALID_WEIGHT 0x80320025."""
    with pytest.raises(InvalidWeightError, match="16") as info:
        Filter("f", LAYER, weight=Weight.range(16))
    assert info.value.hresult == 0x80320025


def test_case34_sublayer_weight_orders_before_filter_weight() -> None:
    """Case 34: filters of the 0xFFFF sublayer come first whatever their own weights."""
    engine = Engine()
    engine.add_sublayer(Sublayer("high", 0xFFFF))
    engine.add_sublayer(Sublayer("low", 0x0001))
    engine.add_filter(Filter("heavy", LAYER, weight=2**63, sublayer="low"))
    engine.add_filter(Filter("light", LAYER, weight=1, sublayer="high"))
    order = [(s.name, [f.name for f in fs]) for s, fs in engine.evaluation_order(LAYER)]
    assert order == [("high", ["light"]), ("low", ["heavy"])]


def test_empty_weight_equals_range_zero() -> None:
    """FWP_EMPTY behaves like weight range 0 (same automatic low 60 bits)."""
    conds = [Condition("IP_REMOTE_PORT", "EQUAL", 80)]
    assert effective_weight(Weight.empty(), conds) == effective_weight(Weight.range(0), conds)


def test_auto_weight_prefers_more_specific_filters() -> None:
    """Our auto-weight choice: more distinct fields -> higher weight; same-field ORs count once."""
    one = [Condition("IP_REMOTE_PORT", "EQUAL", 80), Condition("IP_REMOTE_PORT", "EQUAL", 443)]
    two = [*one, Condition("IP_PROTOCOL", "EQUAL", 6)]
    assert auto_weight(two) > auto_weight(one) > auto_weight([])


def test_equal_weights_tie_break_by_filter_id() -> None:
    """Our tie-break: equal effective weights go in filter-id order (older first)."""
    engine = Engine()
    for name in ("first", "second", "third"):
        engine.add_filter(Filter(name, LAYER, weight=5))
    assert [f.name for f in engine.filters(LAYER)] == ["first", "second", "third"]


@pytest.mark.parametrize("bad", [-1, 2**64, "heavy"])
def test_bad_uint64_weight(bad: object) -> None:
    """Weights outside UINT64, or not integers, are FWP_E_INVALID_WEIGHT."""
    with pytest.raises(InvalidWeightError):
        Filter("f", LAYER, weight=bad)  # type: ignore[arg-type]


def test_sublayer_weight_is_uint16() -> None:
    """A sublayer weight above 0xFFFF is refused with the valid range."""
    with pytest.raises(InvalidWeightError, match=r"0\.\.65535"):
        Sublayer("s", 0x10000)
