"""Hidden checks of exercise 04: edge weights and the rest of the kiosk's cases."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_weight_range_edges(m: ModuleType) -> None:
    """weight_range_of on edge values and FWP_UINT64 weights"""
    for weight, want in [
        (0, 0),
        ((1 << 60) - 1, 0),
        (1 << 60, 1),
        (0x7FFFFFFFFFFFFFFF, 7),
        (0x8000000000000000, 8),
        ((1 << 64) - 1, 15),
        (0xF010000000000000, 15),
    ]:
        got = m.weight_range_of(weight)
        expect(got == want, f"weight_range_of(0x{weight:016X}) returns {got!r}.")


def check_partner_only_on_443(m: ModuleType) -> None:
    """the partner's exception is HTTPS only; the rest of the ad network stays blocked"""
    pub.kiosk_verdicts(
        m,
        [
            ("203.0.113.77", 80, "BLOCK"),
            ("203.0.113.77", 22, "BLOCK"),
            ("203.0.113.78", 443, "BLOCK"),
            ("203.0.113.0", 80, "BLOCK"),
            ("203.0.114.1", 443, "PERMIT"),
            ("10.0.0.1", 53, "BLOCK"),
        ],
    )
