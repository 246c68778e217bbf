"""Hidden checks of exercise 08: the same answers hold for IPv6 and for UDP."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import public_checks

pub = public_checks(__file__)


def check_ipv6_twins(m: ModuleType) -> None:
    """every answer's _V6 twin answers the same question for IPv6"""
    # Not the ping: wfpsim's stack sends ICMP echo over IPv6 as protocol 1, not ICMPv6 (58).
    pub.grade(m, [k for k in m.ANSWERS if k != "first_ping_with_app"], version=6)


def check_inbound_udp(m: ModuleType) -> None:
    """inbound_tcp_with_app: the same layer refuses an inbound UDP exchange knowing the app"""
    pub.grade(m, ["inbound_tcp_with_app"], kind="udp")
