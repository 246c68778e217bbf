"""Public checks of exercise 16: one record per TCP or UDP flow, payload bytes, a report line."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from wfpsim import Engine
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.stack import Journey, Stack

HOST = "10.0.0.5"


def installed(m: ModuleType) -> tuple[Engine, Stack]:
    """A fresh engine with the student's callouts, and a stack on it."""
    engine = Engine()
    m.install(engine)
    return engine, Stack(engine)


def records(m: ModuleType) -> dict[str, tuple[str, int, int]]:
    """``remote -> (protocol, sent, received)`` of FINISHED, failing on a malformed record."""
    out = {}
    for r in m.FINISHED:
        expect(
            isinstance(r, dict) and {"protocol", "remote", "sent", "received"} <= set(r),
            f"a record must be a dict with protocol, remote, sent and received; got {r!r}.",
        )
        out[r["remote"]] = (r["protocol"], r["sent"], r["received"])
    return out


def expect_finished(m: ModuleType, want: dict[str, tuple[str, int, int]], what: str) -> None:
    """FINISHED holds exactly ``want``."""
    got = records(m)
    expect(
        len(m.FINISHED) == len(want),
        f"{what}: FINISHED holds {len(m.FINISHED)} record(s), expected {len(want)}.",
    )
    for remote, row in want.items():
        expect(remote in got, f"{what}: no finished record for {remote!r} ({sorted(got)}).")
        expect(
            got[remote] == row,
            f"{what}: the record of {remote} says {got[remote][0]} sent={got[remote][1]} "
            f"received={got[remote][2]}; expected {row[0]} sent={row[1]} received={row[2]}.",
        )


def report(protocol: str, remote: str, sent: int, received: int) -> str:
    """The report line a flowDeleteFn prints."""
    return f"flow bytes: {protocol} {remote} sent {sent} received {received}"


def check_install(m: ModuleType) -> None:
    """install adds and registers three callouts, the data ones with a flowDeleteFn"""
    engine, _ = installed(m)
    for name, where in (
        (m.ESTABLISHED_CALLOUT, "ALE_FLOW_ESTABLISHED_V4"),
        (m.STREAM_CALLOUT, "STREAM_V4"),
        (m.DATAGRAM_CALLOUT, "DATAGRAM_DATA_V4"),
    ):
        expect(engine.is_registered(name), f"callout {name!r} is not registered.")
        key = engine.callout(name).key
        expect(
            any(f.callout == key for f in engine.filters(where)),
            f"no filter at {where} invokes {name!r}.",
        )
    for name, kept in (
        (m.STREAM_CALLOUT, m.STREAM_CALLOUT_ID),
        (m.DATAGRAM_CALLOUT, m.DATAGRAM_CALLOUT_ID),
    ):
        real = engine.callout(name).callout_id
        expect(kept == real, f"the id kept for {name!r} is {kept}; its callout id is {real}.")
        reg = engine.registry.get(real)
        expect(reg is not None and reg.flow_delete is not None, f"{name!r} has no flowDeleteFn.")


def check_tcp_connection(m: ModuleType) -> None:
    """a TCP connection: its stream bytes, reported when it ends"""
    _, stack = installed(m)
    journey = stack.run("tcp", "outbound", f"{HOST}:0", "93.184.216.34:80", payload=["GET /", "x"])
    expect_no_faults(journey)
    expect_finished(m, {"93.184.216.34:80": ("TCP", 6, 0)}, "after one TCP connection")
    line = report("TCP", "93.184.216.34:80", 6, 0)
    expect(line in journey.log, f"the log lacks {line!r}; it has {journey.log!r}.")
    expect(not m.RECORDS, f"after the connection ended RECORDS still holds {m.RECORDS}.")


def check_udp_payload_only(m: ModuleType) -> None:
    """UDP datagrams sent: payload bytes, not the UDP header"""
    _, stack = installed(m)
    journey: Journey = stack.run(
        "udp", "outbound", f"{HOST}:0", "198.51.100.53:53", payload=["hello", "dns?"]
    )
    expect_no_faults(journey)
    expect_finished(m, {"198.51.100.53:53": ("UDP", 9, 0)}, "after two datagrams of 5 and 4 bytes")
    line = report("UDP", "198.51.100.53:53", 9, 0)
    expect(line in journey.log, f"the log lacks {line!r}; it has {journey.log!r}.")


def check_no_icmp(m: ModuleType) -> None:
    """a ping is neither TCP nor UDP: no record"""
    _, stack = installed(m)
    journey = stack.run("icmp", "outbound", HOST, "8.8.8.8")
    expect_no_faults(journey)
    any_left: Any = m.FINISHED or m.RECORDS
    expect(not any_left, f"ICMP left records: {any_left}.")
