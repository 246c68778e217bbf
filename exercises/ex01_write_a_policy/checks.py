"""Public checks of exercise 01: the policy's verdicts on typical connections."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Engine
from wfpsim.exercise import expect

LAYER = "ALE_AUTH_CONNECT_V4"
BROWSER = r"C:\Program Files\Browser\browser.exe"
LEGACY = r"C:\Lab\legacy.exe"
PROTOCOLS = {6: "TCP", 17: "UDP", 1: "ICMP"}

#: (protocol, remote address, remote port, application, blocked?, the rule that decides)
Case = tuple[int, str, int, str, bool, str]


def build(m: ModuleType) -> Engine:
    """A fresh engine with the student's policy."""
    engine = Engine()
    m.add_policy(engine)
    return engine


def verdicts(m: ModuleType, cases: list[Case]) -> None:
    """Classify each case and fail on the first wrong verdict, naming the rule at stake."""
    engine = build(m)
    for proto, addr, port, app, blocked, rule in cases:
        c = engine.classify(
            LAYER,
            {
                "IP_PROTOCOL": proto,
                "IP_REMOTE_ADDRESS": addr,
                "IP_REMOTE_PORT": port,
                "ALE_APP_ID": app,
            },
        )
        what = f"{PROTOCOLS[proto]} from {app.rsplit(chr(92), 1)[-1]} to {addr}:{port}"
        if blocked:
            got = (
                f"filter {c.filter_name!r} permits it"
                if c.filter_name
                else (f"no filter blocks it ({c.action.name})")
            )
            expect(c.action.name == "BLOCK", f"{what} must be blocked ({rule}), but {got}.")
        else:
            expect(
                c.action.name != "BLOCK",
                f"{what} must get through ({rule}), but your filter {c.filter_name!r} blocks it.",
            )


def check_filters_in_place(m: ModuleType) -> None:
    """add_policy adds the sublayer and its filters at ALE_AUTH_CONNECT_V4 only"""
    engine = build(m)
    mine = [f for f in engine.filters() if not f.name.startswith("FWPM_")]
    expect(mine, "add_policy adds no filter yet.")
    names = {s.name for s in engine.sublayers()}
    expect(m.SUBLAYER in names, f"there is no sublayer named {m.SUBLAYER!r}.")
    key = engine.sublayer(m.SUBLAYER).key
    for f in mine:
        expect(
            f.layer.short_name == LAYER,
            f"filter {f.name!r} is at {f.layer.short_name}; the policy is about {LAYER}.",
        )
        expect(f.sublayer == key, f"filter {f.name!r} is not in the sublayer {m.SUBLAYER!r}.")


def check_management_network(m: ModuleType) -> None:
    """rule 1: the management network is closed, except for DNS"""
    verdicts(
        m,
        [
            (6, "192.168.100.20", 443, BROWSER, True, "rule 1"),
            (17, "192.168.100.1", 53, BROWSER, False, "rule 1 lets DNS through"),
            (6, "192.168.100.1", 53, BROWSER, False, "rule 1 lets DNS through"),
        ],
    )


def check_telnet(m: ModuleType) -> None:
    """rule 2: telnet is blocked everywhere"""
    verdicts(m, [(6, "203.0.113.5", 23, BROWSER, True, "rule 2")])


def check_legacy_app(m: ModuleType) -> None:
    """rule 3: the legacy application keeps to ports 8000-8999"""
    verdicts(
        m,
        [
            (6, "203.0.113.5", 8080, LEGACY, False, "rule 3 allows 8000-8999"),
            (6, "203.0.113.5", 443, LEGACY, True, "rule 3"),
        ],
    )


def check_everything_else_passes(m: ModuleType) -> None:
    """traffic no rule blocks gets through"""
    verdicts(
        m,
        [
            (6, "203.0.113.5", 443, BROWSER, False, "no rule blocks it"),
            (6, "192.168.101.5", 443, BROWSER, False, "it is not the management network"),
        ],
    )
