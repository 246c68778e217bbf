"""Public checks of exercise 04: the range of a weight, the kiosk's order, two weight forms."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Engine, Filter, Sublayer, Weight
from wfpsim.exercise import expect
from wfpsim.values import DataType

LAYER = "ALE_AUTH_CONNECT_V4"
PAST = {"PERMIT": "permitted", "BLOCK": "blocked"}
NAMES = ("block everything", "allow web", "block ad network", "allow partner")


def kiosk(weights: dict[str, Weight | None]) -> Engine:
    """The checks' own copy of the kiosk's filters, weighted by ``weights``."""
    engine = Engine()
    engine.add_sublayer(Sublayer("Kiosk", weight=0x100))
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
            Filter(name, LAYER, action, conditions, weight=weights[name], sublayer="Kiosk")
        )
    return engine


def student_weights(m: ModuleType) -> dict[str, Weight | None]:
    """The student's WEIGHTS, checked: four distinct weight ranges."""
    weights = m.WEIGHTS
    expect(set(weights) == set(NAMES), f"WEIGHTS must have exactly the keys {NAMES}.")
    for name in NAMES:
        w = weights[name]
        expect(w is not None, f"{name!r} has no weight yet.")
        expect(
            isinstance(w, Weight) and w.type == DataType.UINT8,
            f"{name!r}: use a weight range, Weight.range(n), not {w!r}.",
        )
    ranges = [weights[n].value for n in NAMES]  # type: ignore[union-attr]
    expect(
        len(set(ranges)) == len(ranges),
        "two filters share a weight range: their order would rest on BFE's unpublished bits.",
    )
    return weights


def kiosk_verdicts(m: ModuleType, cases: list[tuple[str, int, str]]) -> None:
    """Each (address, port, expected action) classified with the student's weights."""
    engine = kiosk(student_weights(m))
    for addr, port, want in cases:
        c = engine.classify(LAYER, {"IP_REMOTE_ADDRESS": addr, "IP_REMOTE_PORT": port})
        expect(
            c.action.name == want,
            f"{addr}:{port} must be {PAST[want]}, but among the filters that match, "
            f"{c.filter_name!r} is asked first and {c.action.name.lower()}s it.",
        )


def check_weight_range_of(m: ModuleType) -> None:
    """weight_range_of reads the range of an effective weight"""
    engine = Engine()
    for n in (0, 1, 7, 8, 15):
        f = engine.add_filter(
            Filter(
                f"range {n}",
                LAYER,
                "BLOCK",
                [Condition("IP_REMOTE_PORT", "EQUAL", 1)],
                weight=Weight.range(n),
            )
        )
        got = m.weight_range_of(f.effective_weight)
        expect(
            got == n,
            f"weight_range_of(0x{f.effective_weight:016X}) returns {got!r}; that filter was "
            f"added with Weight.range({n}).",
        )


def check_web_and_the_rest(m: ModuleType) -> None:
    """the kiosk permits web traffic and blocks the rest"""
    kiosk_verdicts(
        m,
        [
            ("198.51.100.5", 443, "PERMIT"),
            ("198.51.100.5", 80, "PERMIT"),
            ("198.51.100.5", 22, "BLOCK"),
        ],
    )


def check_ad_network_and_partner(m: ModuleType) -> None:
    """the ad network is blocked, the partner's HTTPS is not"""
    kiosk_verdicts(
        m,
        [("203.0.113.9", 443, "BLOCK"), ("203.0.113.77", 443, "PERMIT")],
    )


def check_uint64_against_range(m: ModuleType) -> None:
    """which weight form is asked first"""
    expect(m.ASKED_FIRST in ("uint64", "range"), 'ASKED_FIRST must be "uint64" or "range".')
    engine = Engine()
    engine.add_filter(Filter("uint64", LAYER, "PERMIT", weight=0x7FFFFFFFFFFFFFFF))
    engine.add_filter(Filter("range", LAYER, "BLOCK", weight=Weight.range(8)))
    first = engine.filters(LAYER)[0].name
    expect(
        first == m.ASKED_FIRST,
        "not that one: write both effective weights out in hexadecimal and compare them.",
    )
