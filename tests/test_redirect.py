"""Connect and bind redirection: handles, redirect state, records, metadata, proxies and loops."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from wfpsim import Engine
from wfpsim.examples.egress_proxy import (
    BindRedirectDriver,
    EgressProxyDriver,
    ProxyLoopDriver,
    UnmarkedProxyDriver,
)
from wfpsim.ids import (
    CONDITION_FLAGS,
    FWPS_CONNECTION_NOT_REDIRECTED,
    FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF,
    FWPS_CONNECTION_REDIRECTED_BY_OTHER,
    FWPS_CONNECTION_REDIRECTED_BY_SELF,
    SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT,
    SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS,
    SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS,
    SOCKET_ERROR,
    STATUS_FWP_NULL_POINTER,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTSOCK,
    ConnectionRedirectState,
)
from wfpsim.redirection import (
    REDIRECT_LOOP_LIMIT,
    FwpsQueryConnectionRedirectState0,
    FwpsRedirectHandleCreate0,
    FwpsRedirectHandleDestroy0,
    Out,
    RedirectHandle,
    RedirectRecord,
    RedirectRecords,
)
from wfpsim.stack import Journey, Stack
from wfpsim.stack.proxy import LocalProxy, Socket, WSAGetLastError, WSAIoctl

WEB = "93.184.216.34:80"
IS_REDIRECTED = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_CONNECTION_REDIRECTED"]
IS_PROXY = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_PROXY_CONNECTION"]


def _record(handle: int, context: Any = None) -> RedirectRecord:
    return RedirectRecord(handle, 1, "c", ("1.2.3.4", 80), ("127.0.0.1", 8080), 5000, context)


def _run(driver_class: type, payload: tuple[str, ...] = ("GET /",)) -> tuple[Journey, Any]:
    engine = Engine()
    driver = driver_class(engine)
    assert driver.driver_entry() == STATUS_SUCCESS
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", WEB, payload=payload)
    return journey, driver


def _flags(step: Any) -> int:
    return int(step.in_fixed_values["FLAGS"].uint32)


def test_redirect_state_and_ioctl_values_are_the_headers() -> None:
    """FWPS_CONNECTION_REDIRECT_STATE counts 0..4; the SIO codes are _WSAIOW(IOC_VENDOR, 220..222)."""
    assert [int(s) for s in ConnectionRedirectState] == [0, 1, 2, 3, 4]
    assert FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF == 3
    assert SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS == 0x80000000 | 0x18000000 | 220
    assert SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT == 0x980000DD
    assert SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS == 0x980000DE


def test_redirect_handle_create_and_destroy() -> None:
    """A handle inside a kernel; flags must be 0; a missing out cell is a null pointer."""
    engine = Engine()
    handle: Out[RedirectHandle] = Out()
    assert FwpsRedirectHandleCreate0(None, 0, handle) == STATUS_INVALID_PARAMETER  # no kernel
    with engine.kernel_context():
        assert FwpsRedirectHandleCreate0(None, 1, handle) == STATUS_INVALID_PARAMETER
        assert FwpsRedirectHandleCreate0(None, 0, None) == STATUS_FWP_NULL_POINTER  # type: ignore[arg-type]
        assert FwpsRedirectHandleCreate0(uuid.uuid4(), 0, handle) == STATUS_SUCCESS
        assert isinstance(handle.value, RedirectHandle) and handle.value.handle_id
        FwpsRedirectHandleDestroy0(handle.value)
    assert handle.value.destroyed


def test_query_redirect_state_reads_the_records() -> None:
    """None, self (newest), previously self (older, newest other), other; self returns context."""
    assert FwpsQueryConnectionRedirectState0(None, 7) == FWPS_CONNECTION_NOT_REDIRECTED
    assert FwpsQueryConnectionRedirectState0(RedirectRecords(), 7) == FWPS_CONNECTION_NOT_REDIRECTED
    mine = RedirectRecords((_record(7, "where it went"),))
    context: Out[Any] = Out()
    assert FwpsQueryConnectionRedirectState0(mine, 7, context) == FWPS_CONNECTION_REDIRECTED_BY_SELF
    assert context.value == "where it went"
    assert FwpsQueryConnectionRedirectState0(mine, 9) == FWPS_CONNECTION_REDIRECTED_BY_OTHER
    later = mine.plus((_record(9),))
    state = FwpsQueryConnectionRedirectState0(later, 7, context)
    assert state == FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF
    unhandled = RedirectRecords((_record(0),))  # redirected without a handle: nobody's "self"
    assert FwpsQueryConnectionRedirectState0(unhandled, 0) == FWPS_CONNECTION_REDIRECTED_BY_OTHER


def test_egress_proxy_redirects_the_app_once_and_not_its_own_connection() -> None:
    """The app goes to the proxy; the proxy's connection reaches the web server, not redirected."""
    journey, driver = _run(EgressProxyDriver)
    assert journey.verdict == "PERMIT" and journey.faults == []
    assert len(journey.redirects) == 1 and driver.redirected == 1
    event = journey.redirects[0]
    assert (event.original, event.destination, event.target_pid) == (WEB, "127.0.0.1:8080", 5000)
    proxy_steps = [s for s in journey.steps if s.side == "proxy"]
    connect = next(s for s in proxy_steps if s.layer == "ALE_AUTH_CONNECT_V4")
    assert connect.in_fixed_values["IP_REMOTE_PORT"].uint16 == 80
    assert not _flags(connect) & IS_REDIRECTED and _flags(connect) & IS_PROXY
    assert any("our proxy's own connection" in line for line in journey.log)
    assert driver.proxy.log == [f"accepted a connection for {WEB}; connecting there"]


def test_the_proxy_connection_carries_the_records_to_connect_redirect() -> None:
    """REDIRECT_RECORD_HANDLE at the proxy's CONNECT_REDIRECT; the state there is BY_SELF."""
    journey, driver = _run(EgressProxyDriver)
    app_step, proxy_step = [s for s in journey.steps if s.layer == "ALE_CONNECT_REDIRECT_V4"]
    assert not app_step.in_meta_values.has("REDIRECT_RECORD_HANDLE")
    meta = proxy_step.in_meta_values
    assert meta.has("REDIRECT_RECORD_HANDLE")
    state = FwpsQueryConnectionRedirectState0(meta.redirect_records, driver.redirect_handle)
    assert state == FWPS_CONNECTION_REDIRECTED_BY_SELF
    assert proxy_step.in_fixed_values["ALE_ORIGINAL_APP_ID"] is not None


def test_auth_connect_of_a_redirected_connection_has_the_original_destination() -> None:
    """IS_CONNECTION_REDIRECTED, ORIGINAL_DESTINATION and LOCAL_REDIRECT_TARGET_PID at AUTH_CONNECT."""
    journey, _ = _run(EgressProxyDriver)
    step = journey.at("ALE_AUTH_CONNECT_V4")
    assert _flags(step) & IS_REDIRECTED
    meta = step.in_meta_values
    assert meta.has("ORIGINAL_DESTINATION") and meta.has("LOCAL_REDIRECT_TARGET_PID")
    assert meta.original_destination == ("93.184.216.34", 80)
    assert meta.local_redirect_target_pid == 5000
    accept = journey.at("ALE_AUTH_RECV_ACCEPT_V4")  # the proxy process accepts it
    assert accept.in_meta_values.process_id == 5000


def test_forgotten_state_check_is_reported_as_a_redirect_loop() -> None:
    """Without FwpsQueryConnectionRedirectState0 the proxy's connection loops; wfpsim stops it."""
    journey, _ = _run(ProxyLoopDriver)
    assert journey.verdict == "DROP" and journey.decided_at == "ALE_CONNECT_REDIRECT_V4"
    assert len(journey.redirects) == REDIRECT_LOOP_LIMIT + 1
    assert journey.redirects[-1].fate == "refused: loop"
    assert journey.redirects[1].state == "REDIRECTED_BY_SELF"
    (fault,) = journey.faults
    assert fault.startswith("callout 'proxy-without-check': redirect loop")
    assert "FWPS_CONNECTION_REDIRECTED_BY_SELF" in fault


def test_a_proxy_without_records_loops_and_is_blamed() -> None:
    """A proxy that does not set SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS defeats the check."""
    journey, _ = _run(UnmarkedProxyDriver)
    assert journey.verdict == "DROP"
    (fault,) = journey.faults
    assert fault.startswith("proxy loop") and "SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS" in fault


def test_no_proxy_running_leaves_the_loopback_peer_as_before() -> None:
    """Without a proxy service the redirected connection ends at the loopback port (no hop)."""
    engine = Engine()
    driver = EgressProxyDriver(engine)
    driver.driver_entry()
    driver.proxy.address = driver.proxy.address.__class__("127.0.0.1", 9999)  # nobody at 8080
    journey = Stack(engine).run("tcp", "outbound", "10.0.0.5:0", WEB)
    assert len(journey.redirects) == 1 and not any(s.side == "proxy" for s in journey.steps)


def test_wsaioctl_errors() -> None:
    """Not a socket, no records to query, a buffer too small, records on a connected socket."""
    _journey, driver = _run(EgressProxyDriver)
    assert (
        WSAIoctl("s", SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS, None, 0, Out(), 64, None)
        == SOCKET_ERROR
    )  # type: ignore[arg-type]
    assert WSAGetLastError() == WSAENOTSOCK
    lone = Socket(driver.proxy.app)
    assert (
        WSAIoctl(lone, SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS, None, 0, Out(), 64, None)
        == SOCKET_ERROR
    )
    assert WSAGetLastError() == WSAEINVAL
    records = RedirectRecords((_record(7),))
    assert WSAIoctl(lone, SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS, records, 64, None, 0, None) == 0
    assert lone.redirect_records is records
    assert WSAIoctl(lone, 0x12345678, None, 0, None, 0, None) == SOCKET_ERROR


def test_wsaioctl_query_on_an_accepted_connection() -> None:
    """The accepted socket gives the records and the context; a small buffer gives the size."""
    from wfpsim.stack.protocols import TcpConversation
    from wfpsim.stack.proxy import stop_proxy

    engine = Engine()
    driver = EgressProxyDriver(engine)
    driver.driver_entry()
    stop_proxy(engine, driver.proxy)  # accept by hand
    conv = Stack(engine).open("tcp", "outbound", "10.0.0.5:0", WEB)
    assert isinstance(conv, TcpConversation) and conv.established
    accepted = Socket(driver.proxy.app, conv)
    size: Out[int] = Out()
    small: Out[Any] = Out()
    code = SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS
    assert WSAIoctl(accepted, code, None, 0, small, 1, size) == SOCKET_ERROR
    assert WSAGetLastError() == WSAEFAULT and size.value == 64 and small.value is None
    records: Out[Any] = Out()
    assert WSAIoctl(accepted, code, None, 0, records, 4096, size) == 0
    assert isinstance(records.value, RedirectRecords) and len(records.value) == 1
    context: Out[Any] = Out()
    code = SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT
    assert WSAIoctl(accepted, code, None, 0, context, 4096, size) == 0
    assert (context.value.address, context.value.port) == ("93.184.216.34", 80)
    assert size.value == 128
    assert (
        WSAIoctl(
            accepted, SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS, records.value, 64, None, 0, None
        )
        == SOCKET_ERROR
    )


def test_local_proxy_accept_copies_the_records_when_told() -> None:
    """accept() queries and sets the records (or not, with set_records False)."""
    _journey, driver = _run(EgressProxyDriver)
    assert driver.proxy.set_records
    quiet = LocalProxy(set_records=False)
    assert quiet.accept(Socket(quiet.app)) is None and "WSA error" in quiet.log[-1]


def test_bind_redirect_moves_the_socket() -> None:
    """The app's bind goes to 10.0.0.5:40000; RESOURCE_ASSIGNMENT and packets use it."""
    engine = Engine()
    BindRedirectDriver(engine).driver_entry()
    stack = Stack(engine)
    app = r"C:\Tools\tunnelled.exe"
    journey = stack.run("udp", "outbound", "0.0.0.0:0", "198.51.100.53:53", app=app)
    (event,) = journey.redirects
    assert event.fate == "bind redirected" and event.destination == "10.0.0.5:40000"
    assign = journey.at("ALE_RESOURCE_ASSIGNMENT_V4").in_fixed_values
    assert assign["IP_LOCAL_PORT"].uint16 == 40000
    packet = journey.at("OUTBOUND_TRANSPORT_V4").in_fixed_values
    assert packet["IP_LOCAL_PORT"].uint16 == 40000
    assert "bind redirected" in journey.at("ALE_BIND_REDIRECT_V4").note
    other = stack.run("udp", "outbound", "0.0.0.0:0", "198.51.100.53:53")
    assert other.redirects == []


@pytest.mark.parametrize(
    ("name", "verdict"), [("bind-redirect", True), ("egress-proxy", True), ("proxy-loop", True)]
)
def test_redirect_scenarios_check_themselves(name: str, verdict: bool) -> None:
    """``wfpsim run NAME`` holds every expectation of the built-in redirect scenarios."""
    from wfpsim.runner import run

    result = run(name)
    assert result.ok is verdict, [t.failures for t in result.traffic]
