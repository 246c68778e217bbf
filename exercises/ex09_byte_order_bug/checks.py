"""Public checks of exercise 09: the right server is blocked, the log tells the truth."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Engine
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.stack import Journey, Stack
from wfpsim.values import format_ipv4, parse_ipv4

HOST = "10.0.0.5:0"


def send(m: ModuleType, remote: str, kind: str = "tcp") -> Journey:
    """One connection through a stack with the student's driver installed."""
    engine = Engine()
    m.install(engine)
    journey = Stack(engine).run(kind, "outbound", HOST, remote, payload=["hello"])
    expect_no_faults(journey)
    return journey


def send_for_the_verdict(m: ModuleType, remote: str, kind: str = "tcp") -> Journey:
    """Like :func:`send`, judging only the blocking: the student's ``format_address`` and
    ``port_from_header`` (checked on their own) are swapped for ones that cannot fail, so a bug
    in them fails their own checks, not this one."""
    port = int(remote.rsplit(":", 1)[1])
    m.format_address = format_ipv4
    m.port_from_header = lambda _header: port
    return send(m, remote, kind)


def check_blocked_address(m: ModuleType) -> None:
    """blocked_address gives the integer in_fixed_values holds"""
    got, want = m.blocked_address(), parse_ipv4(m.BLOCKED_SERVER)
    expect(
        got == want,
        f"blocked_address() is 0x{got:08X}, which in_fixed_values would show as "
        f"{format_ipv4(got)}, not {m.BLOCKED_SERVER}.",
    )


def check_format_address(m: ModuleType) -> None:
    """format_address writes the dotted quad of an in_fixed_values address"""
    for text in ("192.168.1.5", "10.0.0.1"):
        got = m.format_address(parse_ipv4(text))
        expect(got == text, f"format_address(0x{parse_ipv4(text):08X}) gives {got!r}.")


def check_port_from_header(m: ModuleType) -> None:
    """port_from_header reads the destination port of a real packet"""
    # a packet from a stack without the student's driver: only port_from_header is judged here
    j = Stack(Engine()).run("tcp", "outbound", HOST, "198.51.100.20:443", payload=["hello"])
    step = next(s for s in j.steps if s.layer == "OUTBOUND_TRANSPORT_V4")
    want = step.in_fixed_values["IP_REMOTE_PORT"].uint16
    got = m.port_from_header(step.layer_data.current)
    expect(got == want, f"port_from_header gives {got} for a packet to port {want}.")


def check_blocks_the_right_server(m: ModuleType) -> None:
    """traffic to the blocked server is blocked, and only that"""
    j = send_for_the_verdict(m, f"{m.BLOCKED_SERVER}:443")
    expect(j.verdict == "BLOCK", f"a connection to {m.BLOCKED_SERVER} ends {j.verdict}.")
    mirror = ".".join(reversed(m.BLOCKED_SERVER.split(".")))
    j = send_for_the_verdict(m, f"{mirror}:443")
    expect(j.verdict == "PERMIT", f"a connection to {mirror} ends {j.verdict}.")


def check_log_lines(m: ModuleType) -> None:
    """the debug log names each packet's real destination"""
    j = send(m, "198.51.100.20:443")
    expect(j.log, "the callout logged nothing.")
    expect(
        j.log[0] == "blocklist: 198.51.100.20:443\n",
        f"the first log line is {j.log[0]!r} for a packet to 198.51.100.20:443.",
    )
