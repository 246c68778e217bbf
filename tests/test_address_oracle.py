"""Address and prefix conditions against an independent oracle: the standard ``ipaddress``."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from wfpsim.catalog import layer
from wfpsim.conditions import Condition, matches, resolve
from wfpsim.values import Value

V4 = layer("ALE_AUTH_CONNECT_V4")
V6 = layer("ALE_AUTH_CONNECT_V6")
# addresses near each other too, so that prefixes hit as well as miss
v4s = st.one_of(
    st.integers(0, 2**32 - 1),
    st.integers(0, 255).map(lambda low: 0x0A000000 | low),
).map(ipaddress.IPv4Address)
v6s = st.one_of(
    st.integers(0, 2**128 - 1),
    st.integers(0, 2**16 - 1).map(lambda low: (0x20010DB8 << 96) | low),
).map(ipaddress.IPv6Address)


def cond(la: object, match: str, text: str) -> Condition:
    return resolve(la, Condition("IP_REMOTE_ADDRESS", match, text))  # type: ignore[arg-type]


def incoming(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Value:
    if address.version == 4:
        return Value.ipv4(str(address))
    return Value.ipv6(str(address))


@settings(max_examples=400, deadline=None)
@given(v4s, st.integers(0, 32), v4s, st.sampled_from(["EQUAL", "NOT_EQUAL"]))
def test_v4_address_and_mask_agrees_with_ipaddress(
    net: ipaddress.IPv4Address, prefix: int, address: ipaddress.IPv4Address, match: str
) -> None:
    """``EQUAL a.b.c.d/n`` holds exactly when ``ipaddress`` puts the address in the network."""
    network = ipaddress.ip_network(f"{net}/{prefix}", strict=False)
    inside = address in network
    got = matches(cond(V4, match, f"{net}/{prefix}"), incoming(address))
    assert got == (inside if match == "EQUAL" else not inside)


@settings(max_examples=400, deadline=None)
@given(v6s, st.integers(0, 128), v6s, st.sampled_from(["EQUAL", "NOT_EQUAL"]))
def test_v6_prefix_agrees_with_ipaddress(
    net: ipaddress.IPv6Address, prefix: int, address: ipaddress.IPv6Address, match: str
) -> None:
    """``EQUAL x::/n`` holds exactly when ``ipaddress`` puts the address in the network."""
    network = ipaddress.ip_network(f"{net}/{prefix}", strict=False)
    inside = address in network
    got = matches(cond(V6, match, f"{net}/{prefix}"), incoming(address))
    assert got == (inside if match == "EQUAL" else not inside)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([(V4, v4s), (V6, v6s)]).flatmap(
        lambda p: st.tuples(st.just(p[0]), p[1], p[1], p[1])
    )
)
def test_plain_addresses_and_ranges_agree_with_ipaddress(case: tuple[object, ...]) -> None:
    """EQUAL / ordering / RANGE of plain addresses follow ``ipaddress`` equality and order."""
    la, a, b, address = case
    low, high = sorted([a, b])  # type: ignore[type-var]
    value = incoming(address)  # type: ignore[arg-type]
    assert matches(cond(la, "EQUAL", str(a)), value) == (address == a)
    assert matches(cond(la, "NOT_EQUAL", str(a)), value) == (address != a)
    assert matches(cond(la, "GREATER", str(a)), value) == (address > a)  # type: ignore[operator]
    assert matches(cond(la, "LESS_OR_EQUAL", str(a)), value) == (address <= a)  # type: ignore[operator]
    rng = resolve(la, Condition("IP_REMOTE_ADDRESS", "RANGE", (str(low), str(high))))  # type: ignore[arg-type]
    assert matches(rng, value) == (low <= address <= high)  # type: ignore[operator]
