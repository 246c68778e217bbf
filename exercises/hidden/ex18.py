"""Hidden checks of exercise 18: several servers, several requests, UDP, the proxy's records."""

from __future__ import annotations

from types import ModuleType

from wfpsim.exercise import expect, expect_no_faults, public_checks

pub = public_checks(__file__)


def check_each_server_its_own(m: ModuleType) -> None:
    """two web servers: each request reaches its own server (the context is per connection)"""
    proxy, stack = pub.installed(m)
    pub.through_the_proxy(proxy, stack, "198.51.100.20:80")
    pub.through_the_proxy(proxy, stack, pub.WEB)


def check_many_requests(m: ModuleType) -> None:
    """three requests in a row: each redirected once, the proxy connects three times"""
    proxy, stack = pub.installed(m)
    for _ in range(3):
        pub.through_the_proxy(proxy, stack)
    expect(len(proxy.log) == 3, f"the proxy's log: {proxy.log}")


def check_udp_untouched(m: ModuleType) -> None:
    """a DNS query (UDP) is not the proxy's; a web request beside it still goes through"""
    proxy, stack = pub.installed(m)
    journey = stack.run("udp", "outbound", pub.LOCAL, "198.51.100.53:53", payload=["q"])
    expect_no_faults(journey)
    expect(not journey.redirects, "a UDP datagram was redirected.")
    pub.through_the_proxy(proxy, stack)
