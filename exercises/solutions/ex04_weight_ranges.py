"""Exercise 04 · reference solution.

* The range is the top four bits: ``effective_weight >> 60``.
* The most specific exception must be asked first: partner (12) > ad network (8) > web (4) >
  everything (0). Any strictly decreasing ranges in that order work; leaving gaps lets a later
  rule slot in between without renumbering.
* ``Weight.range(8)`` gives ``0x8000…`` plus BFE's low bits, above ``0x7FFF…FFFF``: the range is
  asked first. An ``FWP_UINT64`` weight is used as is; the top four bits decide the range.
"""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter, Sublayer, Weight

LAYER = "ALE_AUTH_CONNECT_V4"
SUBLAYER = "Kiosk"


def weight_range_of(effective_weight: int) -> int:
    """The weight range (0–15) of a 64-bit effective weight."""
    return (effective_weight >> 60) & 0xF


WEIGHTS: dict[str, Weight | None] = {
    "block everything": Weight.range(0),
    "allow web": Weight.range(4),
    "block ad network": Weight.range(8),
    "allow partner": Weight.range(12),
}

ASKED_FIRST: str | None = "range"


def add_kiosk_filters(engine: Engine, weights: dict[str, Weight | None]) -> None:
    """The kiosk's sublayer and its four filters, weighted by ``weights`` (do not change)."""
    engine.add_sublayer(Sublayer(SUBLAYER, weight=0x100))
    web = [Condition("IP_REMOTE_PORT", "EQUAL", 80), Condition("IP_REMOTE_PORT", "EQUAL", 443)]
    rules = {
        "block everything": ("BLOCK", []),
        "allow web": ("PERMIT", web),
        "block ad network": ("BLOCK", [Condition("IP_REMOTE_ADDRESS", "EQUAL", "203.0.113.0/24")]),
        "allow partner": (
            "PERMIT",
            [
                Condition("IP_REMOTE_ADDRESS", "EQUAL", "203.0.113.77"),
                Condition("IP_REMOTE_PORT", "EQUAL", 443),
            ],
        ),
    }
    for name, (action, conditions) in rules.items():
        engine.add_filter(
            Filter(name, LAYER, action, conditions, weight=weights[name], sublayer=SUBLAYER)
        )
