"""Public checks of exercise 06: the counter counts, and never changes a verdict."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Condition, Engine, Filter, Weight
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.ids import FWP_ACTION_CONTINUE
from wfpsim.objects import Action
from wfpsim.stack import Journey, Stack

LAYER = "ALE_AUTH_CONNECT_V4"
HERE = "10.0.0.5:0"

#: (kind, remote, payload): each one a new outbound connection
TRAFFIC = [
    ("tcp", "93.184.216.34:443", ["GET /"]),
    ("tcp", "93.184.216.34:443", []),
    ("udp", "8.8.8.8:53", ["query 1", "query 2"]),
    ("tcp", "198.51.100.7:23", []),
    ("tcp", "203.0.113.80:80", ["GET /"]),
]


def other_products(engine: Engine) -> None:
    """Filters another product has on the machine (in the default sublayer)."""
    engine.add_filter(
        Filter(
            "no telnet",
            LAYER,
            "BLOCK",
            [Condition("IP_REMOTE_PORT", "EQUAL", 23)],
            weight=Weight.range(15),
        )
    )
    engine.add_filter(
        Filter(
            "no plain http",
            LAYER,
            "BLOCK",
            [Condition("IP_REMOTE_PORT", "EQUAL", 80)],
            weight=Weight.range(15),
        )
    )


def run_traffic(
    engine: Engine, traffic: list[tuple[str, str, list[str]]] = TRAFFIC
) -> list[Journey]:
    """Send the traffic through a stack; fail if the student's callout raised."""
    stack = Stack(engine)
    journeys = [stack.run(kind, "outbound", HERE, remote, payload=p) for kind, remote, p in traffic]
    expect_no_faults(*journeys)
    return journeys


def installed(m: ModuleType, others: bool = True) -> Engine:
    """A fresh engine with the other products (optionally) and the student's counter."""
    engine = Engine()
    if others:
        other_products(engine)
    m.install(engine)
    return engine


def expect_counts(m: ModuleType, want: dict[tuple[int, int], int], what: str) -> None:
    """Compare COUNTS with what was sent, naming the first difference."""
    for key in sorted(set(want) | set(m.COUNTS)):
        got, n = m.COUNTS.get(key, 0), want.get(key, 0)
        proto = {6: "TCP", 17: "UDP"}.get(key[0], f"protocol {key[0]}")
        expect(got == n, f"{what}: COUNTS says {got} for {proto} port {key[1]}; it should be {n}.")


def check_install(m: ModuleType) -> None:
    """install adds, registers and uses the callout in an inspection filter"""
    engine = installed(m, others=False)
    expect(engine.is_registered(m.CALLOUT), f"the callout {m.CALLOUT!r} is not registered.")
    key = engine.callout(m.CALLOUT).key
    uses = [f for f in engine.filters(LAYER) if f.callout == key]
    expect(uses, f"no filter at {LAYER} invokes {m.CALLOUT!r}.")
    expect(
        all(f.action_type == Action.CALLOUT_INSPECTION for f in uses),
        "the filter invoking your callout is not an inspection filter.",
    )


def check_counts_connections(m: ModuleType) -> None:
    """each TCP or UDP connection is counted once, by protocol and remote port"""
    run_traffic(installed(m, others=False))
    expect_counts(m, {(6, 443): 2, (17, 53): 1, (6, 23): 1, (6, 80): 1}, "after five connections")


def check_verdicts_unchanged(m: ModuleType) -> None:
    """installing the counter changes no verdict"""
    plain = Engine()
    other_products(plain)
    before = [j.verdict for j in run_traffic(plain)]
    after = [j.verdict for j in run_traffic(installed(m))]
    for (kind, remote, _), b, a in zip(TRAFFIC, before, after, strict=True):
        expect(a == b, f"{kind.upper()} to {remote} ended {b} without your callout, {a} with it.")


def check_counts_blocked_connections(m: ModuleType) -> None:
    """connections another product blocks are counted too"""
    run_traffic(installed(m))
    expect_counts(
        m,
        {(6, 443): 2, (17, 53): 1, (6, 23): 1, (6, 80): 1},
        "with another product blocking telnet and plain http (look at the trace of a blocked "
        "connection: was your filter asked?)",
    )


def check_answers_continue(m: ModuleType) -> None:
    """your callout answers CONTINUE for every connection"""
    for journey in run_traffic(installed(m)):
        for step in journey.steps:
            if step.layer != LAYER:
                continue
            for _, st in step.classification.steps():
                call = st.callout
                if call is None or call.returned_action == FWP_ACTION_CONTINUE:
                    continue
                written = call.returned_action
                name = Action(written).name if written in set(Action) else hex(written)
                expect(
                    False,
                    f"for {journey.kind.upper()} to {journey.remote} your callout answered "
                    f"{name}: an inspection callout never changes a verdict (the task's last "
                    "rule).",
                )
