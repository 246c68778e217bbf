"""Hidden checks of exercise 12: UDP, the write right, the proxy's path in any case."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Filter, Sublayer
from wfpsim.exercise import expect, public_checks

pub = public_checks(__file__)


def check_udp_untouched(m: ModuleType) -> None:
    """UDP to port 80 is not redirected"""
    j = pub.connect(pub.installed(m), "198.51.100.7:80", kind="udp")
    pub.expect_untouched(j, "198.51.100.7:80", "UDP to 198.51.100.7:80")


def check_respects_write_right(m: ModuleType) -> None:
    """no redirect when a higher sublayer took the write right"""
    engine = pub.installed(m)
    engine.add_sublayer(Sublayer("another redirector", weight=0xF000))
    engine.add_filter(
        Filter(
            "decided",
            pub.LAYER,
            "PERMIT",
            flags=["CLEAR_ACTION_RIGHT"],
            sublayer="another redirector",
        )
    )
    j = pub.connect(engine, "93.184.216.34:80")
    pub.expect_not_redirected(j, "93.184.216.34:80", "without the write right")


def check_proxy_path_any_case(m: ModuleType) -> None:
    """the proxy is recognised whatever the case of its path"""
    j = pub.connect(pub.installed(m), "93.184.216.34:80", app=m.PROXY_APP.upper())
    pub.expect_not_redirected(j, "93.184.216.34:80", "the proxy (its path in capitals)")


def check_every_connection(m: ModuleType) -> None:
    """each of several connections is redirected on its own"""
    engine = pub.installed(m)
    proxy = f"{m.PROXY_ADDRESS}:{m.PROXY_PORT}"
    for remote in ("93.184.216.34:80", "198.51.100.9:80", "203.0.113.1:80"):
        j = pub.connect(engine, remote)
        expect(pub.destination(j) == proxy, f"TCP to {remote} went to {pub.destination(j)}.")
        pub.expect_callout_decides(j)
