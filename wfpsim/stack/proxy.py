"""A local proxy service on this host, and the Winsock calls it makes on its sockets.

A connect-redirect callout sends an application's connection to a *local proxy*: a process on
this host that listens on a loopback port (:class:`LocalProxy`). What the proxy does for each
connection is what Microsoft's *Using Bind or Connect Redirection* lists (steps 7 and 8):

1. accept the redirected connection (its socket is a :class:`Socket`);
2. ask that socket for the redirect records and the redirect context, with ``WSAIoctl`` and
   ``SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS`` / ``SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT``;
3. open its own socket, set the records on it (``SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS``), and
   connect to the original destination (read from the context);
4. relay the data both ways.

Start one with :func:`start_proxy` (a driver's companion service usually does, in its
``driver_entry``: :mod:`wfpsim.examples.egress_proxy`). The stack hands every TCP connection
redirected to the proxy's address to it once the handshake is done (:func:`serve`); the proxy's
connection onward is crossed in the same journey, labelled ``proxy``.

``WSAIoctl`` keeps the Winsock signature (an out buffer is an :class:`~wfpsim.netbuffers.Out`
cell): it returns 0, or ``SOCKET_ERROR`` with the reason in ``WSAGetLastError()``. **Our
choices** where Microsoft is silent: querying records or context on a connection that was not
redirected fails with ``WSAEINVAL``; a buffer smaller than the data fails with ``WSAEFAULT``
and reports the size needed in ``lpcb_bytes_returned``; setting records needs an unconnected
socket and a records value from a query (``WSAEINVAL`` otherwise); only TCP is proxied.
"""

from __future__ import annotations

import weakref
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from wfpsim.ids import (
    SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT,
    SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS,
    SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS,
    SOCKET_ERROR,
    WSAEFAULT,
    WSAEINVAL,
    WSAENOTSOCK,
)
from wfpsim.netbuffers import Out, is_out
from wfpsim.redirection import RedirectRecords
from wfpsim.stack.core import Endpoint
from wfpsim.stack.host import HOST_ADDRESS, Address, App

if TYPE_CHECKING:
    from wfpsim.engine import Engine
    from wfpsim.stack.conversation import Conversation

PROXY_APP = r"C:\Program Files\Proxy\proxy.exe"
_LAST_ERROR: ContextVar[int] = ContextVar("wsa_last_error", default=0)
_PROXIES: weakref.WeakKeyDictionary[Engine, dict[Address, LocalProxy]] = weakref.WeakKeyDictionary()


class Socket:
    """A Winsock ``SOCKET`` of a process on this host.

    ``conversation`` is set once it is connected (or accepted); ``redirect_records`` holds what
    ``SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS`` set on it before ``connect``.
    """

    def __init__(self, app: App, conversation: Conversation | None = None) -> None:
        self.app = app
        self.conversation = conversation
        self.redirect_records: RedirectRecords | None = None

    def __repr__(self) -> str:
        state = "connected" if self.conversation is not None else "not connected"
        return f"<socket of pid {self.app.pid}, {state}>"


def WSAGetLastError() -> int:
    """The error of the last failed ``WSAIoctl`` (0 if none failed)."""
    return _LAST_ERROR.get()


def WSAIoctl(
    s: Socket,
    dw_io_control_code: int,
    lpv_in_buffer: Any,
    cb_in_buffer: int,
    lpv_out_buffer: Out[Any] | None,
    cb_out_buffer: int,
    lpcb_bytes_returned: Out[int] | None,
    lp_overlapped: object = None,
    lp_completion_routine: object = None,
) -> int:
    """The three WFP redirect control codes on a simulated socket; 0 or ``SOCKET_ERROR``."""
    sock: object = s
    if not isinstance(sock, Socket):
        return _fail(WSAENOTSOCK)
    if dw_io_control_code == SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS:
        if s.conversation is not None or not isinstance(lpv_in_buffer, RedirectRecords):
            return _fail(WSAEINVAL)
        if cb_in_buffer < lpv_in_buffer.size:
            return _fail(WSAEFAULT)
        s.redirect_records = lpv_in_buffer
        return _ok(lpcb_bytes_returned, 0)
    if dw_io_control_code not in (
        SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS,
        SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT,
    ):
        return _fail(WSAEINVAL)
    conv = s.conversation
    records = conv.redirect.records if conv is not None else None
    if not records:
        return _fail(WSAEINVAL)
    if dw_io_control_code == SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS:
        value, size = records, records.size
    else:
        newest = records.records[-1]
        value, size = newest.context, newest.context_size
    if not is_out(lpv_out_buffer) or lpv_out_buffer is None or cb_out_buffer < size:
        _ok(lpcb_bytes_returned, size)
        return _fail(WSAEFAULT)
    lpv_out_buffer.value = value
    return _ok(lpcb_bytes_returned, size)


def _fail(error: int) -> int:
    _LAST_ERROR.set(error)
    return SOCKET_ERROR


def _ok(returned: Out[int] | None, size: int) -> int:
    if is_out(returned) and returned is not None:
        returned.value = size
    return 0


class LocalProxy:
    """A proxy process listening on a loopback address of this host.

    Attributes:
        port: the port it listens on (at ``address``, ``127.0.0.1`` by default).
        app: its process (``ALE_APP_ID`` path, user, pid).
        set_records: copy the accepted connection's redirect records onto its own socket (the
            step that lets the callout recognise the proxy's connection; turn it off to see
            the loop it prevents).
        buffer_size: the buffer it queries records and context with.
    """

    def __init__(
        self,
        port: int = 8080,
        pid: int = 5000,
        path: str = PROXY_APP,
        address: str = "127.0.0.1",
        set_records: bool = True,
        buffer_size: int = 4096,
    ) -> None:
        self.address = Address(address, port)
        self.app = App(path, pid=pid)
        self.set_records = set_records
        self.buffer_size = buffer_size
        #: what the proxy did, one line per connection (its own log)
        self.log: list[str] = []

    def __repr__(self) -> str:
        return f"<LocalProxy {self.address} pid {self.app.pid}>"

    def accept(self, client: Socket) -> tuple[Socket, Address] | None:
        """Steps 2-3 for one accepted connection: the socket onward and where to connect it."""
        records: Out[RedirectRecords] = Out()
        size: Out[int] = Out()
        code = SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS
        if WSAIoctl(client, code, None, 0, records, self.buffer_size, size, None, None):
            self.log.append(f"records query failed: WSA error {WSAGetLastError()}")
            return None
        context: Out[Any] = Out()
        code = SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT
        if WSAIoctl(client, code, None, 0, context, self.buffer_size, size, None, None):
            self.log.append(f"context query failed: WSA error {WSAGetLastError()}")
            return None
        destination = original_destination(context.value)
        if destination is None:
            self.log.append(f"the redirect context {context.value!r} names no destination")
            return None
        onward = Socket(self.app)
        if self.set_records and records.value is not None:
            code = SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS
            WSAIoctl(onward, code, records.value, records.value.size, None, 0, None, None, None)
        self.log.append(f"accepted a connection for {destination}; connecting there")
        return onward, destination


def original_destination(context: Any) -> Address | None:
    """The destination a redirect context names: an :class:`Address`, an ``(ip, port)`` pair,
    or an object with ``address``/``port`` (or ``ip``/``port``) members."""
    if isinstance(context, Address):
        return context
    if isinstance(context, tuple) and len(context) == 2:
        return Address(str(context[0]), int(context[1]))
    ip = getattr(context, "address", None) or getattr(context, "ip", None)
    port = getattr(context, "port", None)
    if isinstance(ip, str) and isinstance(port, int):
        return Address(ip, port)
    return None


# -- the proxies of an engine's host ------------------------------------------------------------
def start_proxy(engine: Engine, proxy: LocalProxy) -> LocalProxy:
    """Run ``proxy`` on this engine's host (replacing one at the same address)."""
    _PROXIES.setdefault(engine, {})[proxy.address] = proxy
    return proxy


def stop_proxy(engine: Engine, proxy: LocalProxy) -> None:
    """Stop a proxy started with :func:`start_proxy` (nothing if it is not running)."""
    running = _PROXIES.get(engine, {})
    if running.get(proxy.address) is proxy:
        del running[proxy.address]


def proxy_at(engine: Engine, address: Address) -> LocalProxy | None:
    """The proxy listening at ``address`` on this engine's host, if any."""
    return _PROXIES.get(engine, {}).get(address)


def serve(conv: Conversation) -> None:
    """Hand a connection redirected to a local proxy to it; it connects onward (recursively)."""
    from wfpsim.stack.protocols import TcpConversation

    if not isinstance(conv, TcpConversation) or not conv.established or conv.failed:
        return
    if not conv.redirect.records:
        return
    proxy = proxy_at(conv.core.engine, conv.b.addr)
    if proxy is None:
        return
    accepted = proxy.accept(Socket(proxy.app, conv))
    if accepted is None:
        conv.journey.notes.append(f"proxy {proxy.address}: {proxy.log[-1]}")
        return
    onward, destination = accepted
    here = Endpoint(Address(HOST_ADDRESS[conv.version], 0), proxy.app, local=True, seq=1000)
    there = Endpoint(destination, App("", "", 0), local=destination.is_loopback, seq=5000)
    upstream = TcpConversation(conv.core, "tcp", conv.journey, here, there)
    red = upstream.redirect
    red.socket_records = onward.redirect_records
    red.hops = conv.redirect.hops + 1
    red.proxied_app = conv.redirect.proxied_app or conv.a.app.path
    red.proxy_set_records = onward.redirect_records is not None
    red.label = "proxy"
    onward.conversation = upstream
    conv.redirect.upstream = upstream
    conv.journey.notes.append(f"proxy {proxy.address} connects to {destination} for the app")
    upstream.open()
    serve(upstream)


def relay(conv: Conversation, payload: bytes) -> None:
    """The proxy sends what it received from the app on along its own connection."""
    upstream = conv.redirect.upstream
    if upstream is not None and not upstream.failed:
        upstream.send(payload)
        relay(upstream, payload)


def close_upstream(conv: Conversation) -> None:
    """The app closed: the proxy closes its connection onward."""
    upstream = conv.redirect.upstream
    if upstream is not None:
        upstream.close()
        close_upstream(upstream)


__all__ = [
    "PROXY_APP",
    "LocalProxy",
    "Socket",
    "WSAGetLastError",
    "WSAIoctl",
    "close_upstream",
    "original_destination",
    "proxy_at",
    "relay",
    "serve",
    "start_proxy",
    "stop_proxy",
]
