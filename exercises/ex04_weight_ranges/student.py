"""Exercise 04 · Order filters with weight ranges.

Inside one sublayer, filters are asked from the highest **effective weight** down, and the first
PERMIT or BLOCK ends the sublayer. A weight range (``Weight.range(n)``, an ``FWP_UINT8`` 0–15)
puts ``n`` in the top four bits of the 64-bit effective weight; BFE fills the low 60 bits itself,
with an algorithm Microsoft does not publish (notebooks 01 and 04).

Part 1. Write :func:`weight_range_of`: the weight range (0–15) an effective weight falls in.

Part 2. A kiosk's sublayer holds the four filters of :func:`add_kiosk_filters` (read them; do
not change them — the checks use their own copy). Choose a weight for each in ``WEIGHTS`` so that
at ``ALE_AUTH_CONNECT_V4``:

* web traffic (remote port 80 or 443) is permitted,
* everything else is blocked,
* except that the ad network ``203.0.113.0/24`` is blocked, even for web traffic,
* except that the partner ``203.0.113.77`` is permitted on port 443 (and only there).

Use weight ranges (``Weight.range(n)``), a **different range for each filter**: two filters in
one range would be ordered by BFE's unpublished low bits, and a policy must not depend on them.

Part 3. One filter has the ``FWP_UINT64`` weight ``0x7FFFFFFFFFFFFFFF``, another
``Weight.range(8)``, in the same sublayer. Which is asked first? Set ``ASKED_FIRST`` to
``"uint64"`` or ``"range"``.
"""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter, Sublayer, Weight

LAYER = "ALE_AUTH_CONNECT_V4"
SUBLAYER = "Kiosk"


def weight_range_of(effective_weight: int) -> int:
    """The weight range (0–15) of a 64-bit effective weight."""
    raise NotImplementedError("take the weight range out of the effective weight")


#: Replace each None with Weight.range(n).
WEIGHTS: dict[str, Weight | None] = {
    "block everything": None,
    "allow web": None,
    "block ad network": None,
    "allow partner": None,
}

ASKED_FIRST: str | None = None


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
