"""Hidden checks of exercise 09: more addresses and ports, UDP, every log line."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, public_checks
from wfpsim.values import parse_ipv4

pub = public_checks(__file__)


def check_format_many(m: ModuleType) -> None:
    """format_address on addresses with every byte distinct, zero and 255"""
    for text in ("1.2.3.4", "255.0.127.128", "0.0.0.1", "172.16.254.3"):
        got = m.format_address(parse_ipv4(text))
        expect(got == text, f"format_address(0x{parse_ipv4(text):08X}) gives {got!r}.")


def check_ports_over_udp_and_tcp(m: ModuleType) -> None:
    """ports below and above 255, over TCP and UDP"""
    for kind, remote in [
        ("udp", "8.8.8.8:53"),
        ("tcp", "198.51.100.9:8080"),
        ("tcp", "198.51.100.9:65535"),
        ("udp", "198.51.100.9:256"),
    ]:
        m.format_address = pub.format_ipv4  # judged by its own checks
        j = pub.send(m, remote, kind)
        port = remote.rsplit(":", 1)[1]
        expect(
            j.log and all(line.endswith(f":{port}\n") for line in j.log),
            f"{kind.upper()} to {remote}: the log says {j.log[:1]}.",
        )


def check_every_log_line(m: ModuleType) -> None:
    """every packet of a connection is logged with its destination"""
    j = pub.send(m, "203.0.113.7:993")
    packets = [s for s in j.steps if s.layer == "OUTBOUND_TRANSPORT_V4"]
    expect(len(j.log) == len(packets), f"{len(packets)} packets went out, {len(j.log)} logged.")
    expect(set(j.log) == {"blocklist: 203.0.113.7:993\n"}, f"the log says {sorted(set(j.log))}.")


def check_blocks_only_that_server(m: ModuleType) -> None:
    """the blocked server over UDP too; its neighbours pass"""
    j = pub.send_for_the_verdict(m, f"{m.BLOCKED_SERVER}:53", "udp")
    expect(j.verdict == "BLOCK", f"UDP to {m.BLOCKED_SERVER} ends {j.verdict}.")
    for remote in ("203.0.113.67:443", "66.113.0.203:53"):
        j = pub.send_for_the_verdict(m, remote)
        expect(j.verdict == "PERMIT", f"a connection to {remote} ends {j.verdict}.")
