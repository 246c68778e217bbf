"""Public checks of exercise 18: web requests reach their server through the proxy, redirected
once; the proxy's own connection is left alone; other traffic is untouched."""

from __future__ import annotations

import ipaddress
from types import ModuleType

from wfpsim import Engine
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.stack import Journey, Stack
from wfpsim.stack.proxy import LocalProxy, start_proxy

LOCAL = "10.0.0.5:0"
WEB = "93.184.216.34:80"


def installed(m: ModuleType) -> tuple[LocalProxy, Stack]:
    """A fresh engine with the student's driver and the proxy service, and a stack on it."""
    engine = Engine()
    m.install(engine)
    proxy = start_proxy(engine, LocalProxy(m.PROXY_PORT, m.PROXY_PID))
    return proxy, Stack(engine)


def onward(journey: Journey) -> list[str]:
    """Where the proxy's own connections went (their ALE_AUTH_CONNECT), as 'ip:port'."""
    out = []
    for step in journey.steps:
        if step.side == "proxy" and step.layer == "ALE_AUTH_CONNECT_V4":
            values = step.in_fixed_values
            address = ipaddress.IPv4Address(values["IP_REMOTE_ADDRESS"].uint32)
            out.append(f"{address}:{values['IP_REMOTE_PORT'].uint16}")
    return out


def through_the_proxy(proxy: LocalProxy, stack: Stack, remote: str = WEB) -> Journey:
    """A web request to ``remote`` reaches it through the proxy, redirected once."""
    journey = stack.run("tcp", "outbound", LOCAL, remote, payload=["GET / HTTP/1.1"])
    expect_no_faults(journey)
    expect(journey.redirects, f"the connection to {remote} was never sent to the proxy.")
    went = onward(journey)
    expect(
        went,
        f"the proxy never connected onward for {remote}; the proxy says: {proxy.log[-1:]}",
    )
    expect(went == [remote], f"the proxy connected to {went}; it should connect to [{remote!r}].")
    expect(
        journey.verdict == "PERMIT",
        f"the request ends {journey.verdict} at {journey.decided_at} (by {journey.decided_by!r}).",
    )
    count = len(journey.redirects)
    expect(count == 1, f"the request was redirected {count} times; once is right.")
    return journey


def check_request_reaches_the_server(m: ModuleType) -> None:
    """a web request goes through the proxy and on to the web server"""
    proxy, stack = installed(m)
    through_the_proxy(proxy, stack)


def check_proxy_gets_the_redirect_right(m: ModuleType) -> None:
    """the app's connection names the proxy's pid, and the proxy's own is BY_SELF"""
    from wfpsim.redirection import FwpsQueryConnectionRedirectState0

    proxy, stack = installed(m)
    journey = through_the_proxy(proxy, stack)
    meta = journey.at("ALE_AUTH_CONNECT_V4").in_meta_values
    expect(
        meta.local_redirect_target_pid == m.PROXY_PID,
        f"LOCAL_REDIRECT_TARGET_PID is {meta.local_redirect_target_pid}; the proxy's pid is "
        f"{m.PROXY_PID}.",
    )
    steps = [s for s in journey.steps if s.side == "proxy" and s.layer == "ALE_CONNECT_REDIRECT_V4"]
    records = steps[0].in_meta_values.redirect_records
    state = FwpsQueryConnectionRedirectState0(records, m.REDIRECT_HANDLE)
    expect(
        state.fwp_name == "FWPS_CONNECTION_REDIRECTED_BY_SELF",
        f"for the proxy's own connection the redirect state is {state.fwp_name}.",
    )


def check_other_traffic_untouched(m: ModuleType) -> None:
    """HTTPS is not the proxy's; a web request beside it still goes through"""
    proxy, stack = installed(m)
    journey = stack.run("tcp", "outbound", LOCAL, "93.184.216.34:443")
    expect_no_faults(journey)
    expect(not journey.redirects, f"HTTPS was redirected: {journey.redirects}.")
    through_the_proxy(proxy, stack)
