"""Public checks of exercise 17: the word in one piece, in two pieces, and innocent data."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Engine
from wfpsim.exercise import expect
from wfpsim.stack import Journey, Stack

HOST = "10.0.0.5"
SERVER = "93.184.216.34:443"


def sent(m: ModuleType, *pieces: str, remote: str = SERVER) -> Journey:
    """A fresh engine with the student's callout; one outbound connection sending ``pieces``."""
    engine = Engine()
    m.install(engine)
    return Stack(engine).run("tcp", "outbound", f"{HOST}:0", remote, payload=list(pieces))


def expect_no_stream_faults(journey: Journey) -> None:
    """No callout fault: neither a classifyFn that raised nor a misused stream action."""
    faults = [f for s in journey.steps for f in s.classification.faults] + journey.faults
    expect(not faults, f"the stream layer reported: {faults[0] if faults else ''}")


def expect_dropped(journey: Journey, what: str) -> None:
    """The connection was dropped at STREAM_V4 and nothing reached the server."""
    expect_no_stream_faults(journey)
    expect(
        journey.verdict == "BLOCK" and journey.decided_at == "STREAM_V4",
        f"{what}: the connection should be dropped at STREAM_V4; the journey ended "
        f"{journey.verdict} at {journey.decided_at}. Did you set "
        "FWPS_STREAM_ACTION_DROP_CONNECTION (with FWP_ACTION_NONE) behind an "
        "FWP_ACTION_CALLOUT_UNKNOWN filter?",
    )
    expect(
        b"SECRET" not in journey.delivered,
        f"{what}: the server received {journey.delivered!r}.",
    )
    expect("leak stopped" in journey.log, f"{what}: the log lacks 'leak stopped': {journey.log}.")


def check_install(m: ModuleType) -> None:
    """install adds the callout at STREAM_V4 and a CALLOUT_UNKNOWN filter for it"""
    engine = Engine()
    m.install(engine)
    expect(engine.is_registered(m.CALLOUT), f"callout {m.CALLOUT!r} is not registered.")
    key = engine.callout(m.CALLOUT).key
    mine = [f for f in engine.filters("STREAM_V4") if f.callout == key]
    expect(mine, f"no filter at STREAM_V4 invokes {m.CALLOUT!r}.")
    kinds = {f.action_type.name for f in mine}
    expect(kinds == {"CALLOUT_UNKNOWN"}, f"the filter's action is {kinds}; use CALLOUT_UNKNOWN.")


def check_word_in_one_segment(m: ModuleType) -> None:
    """the word in one segment: the connection is dropped"""
    expect_dropped(sent(m, "the code is SECRET, keep it"), "'the code is SECRET, keep it'")


def check_word_split_in_two(m: ModuleType) -> None:
    """'…SEC' + 'RET…': the callout asks for more data, then drops the connection"""
    journey = sent(m, "the code is SEC", "RET, keep it")
    expect_dropped(journey, "'the code is SEC' + 'RET, keep it'")
    held = [e for e in journey.streams if e.kind == "held"]
    expect(held, "the stream layer never held data: ask for more with NEED_MORE_DATA.")


def check_innocent_data(m: ModuleType) -> None:
    """data without the word reaches the server unchanged"""
    journey = sent(m, "hello ", "world")
    expect_no_stream_faults(journey)
    expect(
        journey.verdict == "PERMIT", f"innocent data was {journey.verdict} at {journey.decided_at}."
    )
    expect(
        journey.delivered == b"hello world",
        f"the server received {journey.delivered!r}, expected b'hello world'.",
    )
