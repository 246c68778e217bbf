"""Public checks of exercise 10: one record per TCP connection, with its bytes, freed at the end."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from wfpsim import Engine
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.stack import Conversation, Stack

HOST = "10.0.0.5"


def installed(m: ModuleType) -> Engine:
    """A fresh engine with the student's callouts."""
    engine = Engine()
    m.install(engine)
    return engine


def talk(
    stack: Stack,
    kind: str,
    direction: str,
    local: str,
    remote: str,
    sends: list[tuple[bytes, bool]],
) -> Conversation:
    """Open a conversation and send (payload, from the opener?) in turn; left open."""
    conv = stack.open(kind, direction, local, remote)
    for payload, from_opener in sends:
        conv.send(payload, from_opener)  # type: ignore[attr-defined]
    return conv


def close(*convs: Conversation) -> None:
    """Close conversations and fail on a callout fault."""
    for conv in convs:
        conv.close()  # type: ignore[attr-defined]
        expect_no_faults(conv.journey)


def by_remote(records: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """``remote -> (sent, received)``, failing on a malformed record."""
    out = {}
    for r in records:
        expect(
            isinstance(r, dict) and {"remote", "sent", "received"} <= set(r),
            f"a record must be a dict with remote, sent and received; got {r!r}.",
        )
        out[r["remote"]] = (r["sent"], r["received"])
    return out


def expect_finished(m: ModuleType, want: dict[str, tuple[int, int]], what: str) -> None:
    """FINISHED must hold exactly ``want`` (remote -> (sent, received))."""
    got = by_remote(m.FINISHED)
    expect(
        len(m.FINISHED) == len(want),
        f"{what}: FINISHED holds {len(m.FINISHED)} record(s), expected {len(want)}.",
    )
    for remote, (sent, received) in want.items():
        expect(remote in got, f"{what}: no finished record for remote {remote!r} ({sorted(got)}).")
        expect(
            got[remote] == (sent, received),
            f"{what}: the record of {remote} says sent={got[remote][0]}, "
            f"received={got[remote][1]}; this host sent {sent} and received {received} bytes.",
        )


def check_install(m: ModuleType) -> None:
    """install adds and registers both callouts, with a flowDeleteFn for the stream one"""
    engine = installed(m)
    for name, where in (
        (m.ESTABLISHED_CALLOUT, "ALE_FLOW_ESTABLISHED_V4"),
        (m.STREAM_CALLOUT, "STREAM_V4"),
    ):
        expect(engine.is_registered(name), f"callout {name!r} is not registered.")
        key = engine.callout(name).key
        expect(
            any(f.callout == key for f in engine.filters(where)),
            f"no filter at {where} invokes {name!r}.",
        )
    stream_id = engine.callout(m.STREAM_CALLOUT).callout_id
    expect(
        stream_id == m.STREAM_CALLOUT_ID,
        f"STREAM_CALLOUT_ID is {m.STREAM_CALLOUT_ID}; the stream callout's id is {stream_id}.",
    )
    reg = engine.registry.get(stream_id)
    expect(
        reg is not None and reg.flow_delete is not None, "the stream callout has no flowDeleteFn."
    )


def check_one_connection(m: ModuleType) -> None:
    """one connection: a live record while it lasts, a finished one with its bytes after"""
    engine = installed(m)
    conv = talk(
        Stack(engine),
        "tcp",
        "outbound",
        f"{HOST}:0",
        "93.184.216.34:80",
        [(b"GET / HTTP/1.1", True), (b"HTTP/1.1 200 OK", False)],
    )
    expect_no_faults(conv.journey)
    expect(len(m.RECORDS) == 1, f"while the connection is open RECORDS holds {len(m.RECORDS)}.")
    stream_id = engine.callout(m.STREAM_CALLOUT).callout_id
    expect(
        engine.flow_table.count_for(stream_id) == 1,
        "no context is associated with the connection for the stream callout.",
    )
    close(conv)
    expect_finished(m, {"93.184.216.34:80": (14, 15)}, "after one connection")
    expect(not m.RECORDS, f"after the connection ended RECORDS still holds {m.RECORDS}.")


def check_connections_kept_apart(m: ModuleType) -> None:
    """interleaved connections each keep their own record"""
    engine = installed(m)
    stack = Stack(engine)
    first = talk(stack, "tcp", "outbound", f"{HOST}:0", "198.51.100.1:443", [(b"a" * 10, True)])
    second = talk(stack, "tcp", "outbound", f"{HOST}:0", "198.51.100.2:443", [(b"b" * 7, True)])
    first.send(b"c" * 100, False)  # type: ignore[attr-defined]
    second.send(b"d" * 3, True)  # type: ignore[attr-defined]
    close(second, first)
    expect_finished(
        m, {"198.51.100.1:443": (10, 100), "198.51.100.2:443": (10, 0)}, "after two connections"
    )
    expect(
        [r["remote"] for r in m.FINISHED] == ["198.51.100.2:443", "198.51.100.1:443"],
        "FINISHED is not in the order the connections ended.",
    )
    expect(not m.RECORDS, f"RECORDS still holds {m.RECORDS}.")
