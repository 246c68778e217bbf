"""Hidden checks of exercise 17: a start that is not the word, the end of the stream, the exact
byte count, three pieces, and what the server sends back."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Engine
from wfpsim.exercise import expect, public_checks
from wfpsim.stack import Stack

pub = public_checks(__file__)


def check_a_start_that_is_not_the_word(m: ModuleType) -> None:
    """'SEC' + 'OND': held, then let through whole"""
    journey = pub.sent(m, "one SEC", "OND later")
    pub.expect_no_stream_faults(journey)
    expect(journey.verdict == "PERMIT", f"'SECOND' was {journey.verdict} at {journey.decided_at}.")
    expect(journey.delivered == b"one SECOND later", f"the server received {journey.delivered!r}.")


def check_the_end_of_the_stream(m: ModuleType) -> None:
    """data ending in 'SECR' and then the FIN: no more data will come, so it is permitted"""
    journey = pub.sent(m, "almost SECR")
    pub.expect_no_stream_faults(journey)
    expect(journey.delivered == b"almost SECR", f"the server received {journey.delivered!r}.")


def check_the_bytes_required(m: ModuleType) -> None:
    """count_bytes_required is the bytes held plus the bytes the word still lacks"""
    journey = pub.sent(m, "hello SEC", "RET")
    held = [e for e in journey.streams if e.kind == "held"]
    expect(held, "the stream layer never held data.")
    expect(
        held[0].detail.endswith("waiting for 12"),
        f"for b'hello SEC' ask for 9 + 3 = 12 bytes; the stream layer says {held[0].detail!r}.",
    )


def check_three_pieces(m: ModuleType) -> None:
    """'S' + 'ECR' + 'ET': asked twice, then dropped"""
    pub.expect_dropped(pub.sent(m, "S", "ECR", "ET"), "'S' + 'ECR' + 'ET'")


def check_the_servers_answer_is_not_inspected(m: ModuleType) -> None:
    """inbound data is permitted, even when it holds the word"""
    engine = Engine()
    m.install(engine)
    conv = Stack(engine).open("tcp", "outbound", f"{pub.HOST}:0", pub.SERVER)
    conv.send(b"GET /", True)  # type: ignore[attr-defined]
    conv.send(b"the SECRET is out", False)  # type: ignore[attr-defined]
    conv.close()  # type: ignore[attr-defined]
    pub.expect_no_stream_faults(conv.journey)
    expect(conv.journey.verdict == "PERMIT", f"the answer was {conv.journey.verdict}.")
