"""The simulated TCP/IP stack: connections and packets crossing WFP's layers on this host.

>>> from wfpsim import Engine
>>> from wfpsim.stack import Stack
>>> journey = Stack(Engine()).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80")
>>> journey.verdict, journey.layers[:3]
('PERMIT', ['ALE_BIND_REDIRECT_V4', 'ALE_RESOURCE_ASSIGNMENT_V4', 'ALE_CONNECT_REDIRECT_V4'])
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from wfpsim.catalog import Direction
from wfpsim.errors import InvalidParameterError
from wfpsim.stack.conversation import KIND_PROTOCOLS, Conversation
from wfpsim.stack.core import Core, Endpoint
from wfpsim.stack.events import EventLog, to_netsh_xml
from wfpsim.stack.host import DEFAULT_APP, DEFAULT_USER, App, check_package, parse_endpoint
from wfpsim.stack.journey import Journey, Step, Verdict
from wfpsim.stack.protocols import DatagramConversation, TcpConversation
from wfpsim.stack.proxy import close_upstream, relay, serve

if TYPE_CHECKING:
    from wfpsim.engine import Engine

__all__ = [
    "App",
    "Conversation",
    "Direction",
    "EventLog",
    "Journey",
    "Stack",
    "Step",
    "Verdict",
    "to_netsh_xml",
]

#: The directions a conversation can be opened in (the catalog's :class:`Direction`).
DIRECTIONS = (Direction.OUTBOUND, Direction.INBOUND)


def parse_direction(direction: str | Direction) -> Direction:
    """``"outbound"`` / ``"inbound"`` (any case) or a :class:`Direction` member.

    Raises:
        InvalidParameterError: anything else, naming the valid values.
    """
    if isinstance(direction, Direction):
        found: Direction | None = direction
    else:
        text = str(direction).strip().lower()
        found = next((d for d in DIRECTIONS if d.value == text), None)
    if found is None or found not in DIRECTIONS:
        raise InvalidParameterError(f"direction {direction!r}; valid: outbound, inbound")
    return found


class Stack:
    """This host's TCP/IP stack, asking one engine for every decision.

    Args:
        engine: the BFE whose policy applies.
        auditing: turn on WFP auditing (Security-log events 5152-5159).
        allow_events: also collect CLASSIFY_ALLOW net events.
    """

    def __init__(self, engine: Engine, auditing: bool = False, allow_events: bool = False) -> None:
        self.engine = engine
        self.events = EventLog(auditing=auditing, allow_events=allow_events)
        self.core = Core(engine, self.events)
        self.journeys: list[Journey] = []
        self._pid = 4000

    def open(
        self,
        kind: str,
        direction: str | Direction,
        local: str,
        remote: str,
        app: str | None = None,
        user: str | None = None,
        listening: bool = True,
        package: str | None = None,
    ) -> Conversation:
        """Start a connection (TCP) or exchange (UDP, ICMP echo); returns the conversation.

        ``outbound``: an application on this host at ``local`` opens it to ``remote``;
        ``inbound``: the peer at ``remote`` opens it to ``local``. ``listening`` says whether
        the receiving side has a listener (for ICMP: whether it answers). ``package``: the
        application's AppContainer package SID (``ALE_PACKAGE_ID``); without one it is a
        desktop application and ``ALE_PACKAGE_ID`` is the NULL SID ``S-1-0-0``.
        """
        if kind not in KIND_PROTOCOLS:
            raise InvalidParameterError(f"kind {kind!r}; valid: {', '.join(KIND_PROTOCOLS)}")
        way = parse_direction(direction)
        here, there = parse_endpoint(local, kind), parse_endpoint(remote, kind)
        if here.version != there.version:
            raise InvalidParameterError(f"{local} and {remote} are of different IP versions")
        sid = check_package(package)
        self._pid += 4
        mine = App(app or DEFAULT_APP, user or DEFAULT_USER, self._pid, sid)
        loop = there.is_loopback or here.is_loopback
        peer_app = mine if loop else App("", "", 0)
        journey = Journey(
            kind,
            way,
            str(here) if kind != "icmp" else here.ip,
            str(there) if kind != "icmp" else there.ip,
        )
        if way is Direction.OUTBOUND:
            a = Endpoint(here, mine, local=True, seq=1000)
            b = Endpoint(there, peer_app, local=loop, listening=listening, seq=5000)
        else:
            a = Endpoint(there, peer_app, local=loop, seq=1000)
            b = Endpoint(here, mine, local=True, listening=listening, seq=5000)
        cls = TcpConversation if kind == "tcp" else DatagramConversation
        conv = cls(self.core, kind, journey, a, b)
        self.journeys.append(journey)
        with self._current(journey):
            conv.open()
            serve(conv)  # a connection redirected to a local proxy: the proxy connects onward
        return conv

    def run(
        self,
        kind: str,
        direction: str | Direction,
        local: str,
        remote: str,
        app: str | None = None,
        user: str | None = None,
        listening: bool = True,
        payload: Iterable[bytes | str] = (),
        package: str | None = None,
    ) -> Journey:
        """Open, send each payload (UDP/ICMP: at least one), close; the journey.

        ``package``: the application's AppContainer package SID (see :meth:`open`).
        """
        conv = self.open(kind, direction, local, remote, app, user, listening, package)
        items = [p.encode() if isinstance(p, str) else p for p in payload]
        if not items and kind != "tcp":
            items = [b""]
        with self._current(conv.journey):
            for item in items:
                if conv.failed and kind == "tcp":
                    break
                conv.send(item)  # type: ignore[attr-defined]
                relay(conv, item)
            conv.close()  # type: ignore[attr-defined]
            close_upstream(conv)
        return conv.journey

    def _current(self, journey: Journey) -> _LogCapture:
        return _LogCapture(self.engine, journey)

    @property
    def net_events(self) -> list:  # type: ignore[type-arg]
        """``FWPM_NET_EVENT`` records collected so far."""
        return self.events.net_events


class _LogCapture:
    """Make the engine current (for DbgPrint and kernel calls) and copy new log lines."""

    def __init__(self, engine: Engine, journey: Journey) -> None:
        self.engine = engine
        self.journey = journey

    def __enter__(self) -> None:
        self.start = len(self.engine.debug_log)
        self.kernel = self.engine.kernel_context()
        self.kernel.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.kernel.__exit__(None, None, None)
        self.journey.log.extend(self.engine.debug_log[self.start :])
