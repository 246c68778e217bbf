"""Redirection in the stack: what a bind or connect redirection changes, and proxy loops.

:mod:`wfpsim.stack.conversation` crosses ``ALE_BIND_REDIRECT`` and ``ALE_CONNECT_REDIRECT``; the
functions here apply what the callouts changed there:

* a **bind redirection** moves the socket's local address and port (all its connections leave
  from there);
* a **connect redirection** sends the connection elsewhere. The connection's redirect records
  grow by one record per redirection (:mod:`wfpsim.redirection`); ``ALE_AUTH_CONNECT`` then
  sees ``FWP_CONDITION_FLAG_IS_CONNECTION_REDIRECTED`` and the ``ORIGINAL_DESTINATION`` /
  ``LOCAL_REDIRECT_TARGET_PID`` metadata. Redirected to a loopback address where a local proxy
  listens (:mod:`wfpsim.stack.proxy`), the other end is that proxy's process.

A proxy's own connection carries the records its proxy set on the socket, and is marked with
``FWP_CONDITION_FLAG_IS_PROXY_CONNECTION`` and ``ALE_ORIGINAL_APP_ID`` (the proxied app) at
``ALE_CONNECT_REDIRECT``, ``ALE_AUTH_CONNECT`` and ``ALE_FLOW_ESTABLISHED`` (the layers the
*Filtering condition flags* page names for that flag).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from wfpsim.ids import CONDITION_FLAGS
from wfpsim.redirection import (
    FwpsQueryConnectionRedirectState0,
    RedirectRecord,
    RedirectRecords,
    RedirectView,
    loop_fault,
    redirections,
)
from wfpsim.stack.host import Address, App
from wfpsim.stack.journey import RedirectEvent

if TYPE_CHECKING:
    from wfpsim.stack.conversation import Conversation
    from wfpsim.stack.core import Endpoint
    from wfpsim.stack.journey import Step
    from wfpsim.stack.layerdata import BindRequest, ConnectRequest

FLAG_IS_PROXY_CONNECTION = CONDITION_FLAGS["FWP_CONDITION_FLAG_IS_PROXY_CONNECTION"]
#: layer families where a proxy's connection is marked (flag and ALE_ORIGINAL_APP_ID)
PROXY_MARKED = ("ALE_CONNECT_REDIRECT", "ALE_AUTH_CONNECT", "ALE_FLOW_ESTABLISHED")


@dataclass(slots=True)
class ConnectionRedirect:
    """A conversation's redirection state.

    Attributes:
        socket_records: the records set on the opener's socket with
            ``SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS`` (a proxy's outgoing socket), or None.
        records: the records after ``ALE_CONNECT_REDIRECT`` redirected the connection.
        original_destination: where the connection was going before it was redirected.
        target_pid: ``localRedirectTargetPID`` of the last redirection.
        hops: 0 for an application's connection, n for a proxy's n-th connection onward.
        proxied_app: for a proxy's connection, the path of the application it proxies.
        proxy_set_records: False when a proxy opened this connection without the records.
        label: the side shown in the journey (``"proxy"`` for a proxy's connection).
        upstream: the proxy's connection onward, once the proxy has accepted this one.
    """

    socket_records: RedirectRecords | None = None
    records: RedirectRecords | None = None
    original_destination: Address | None = None
    target_pid: int = 0
    hops: int = 0
    proxied_app: str = ""
    proxy_set_records: bool = True
    label: str = ""
    upstream: Any = None

    def view(self) -> RedirectView:
        """What ``ALE_CONNECT_REDIRECT`` and ``ALE_AUTH_CONNECT`` are handed about it."""
        original = self.original_destination
        return RedirectView(
            self.socket_records,
            (original.ip, original.port) if original is not None else None,
            self.target_pid,
        )


def mark_proxy(conv: Conversation, base: str, kw: dict[str, Any]) -> None:
    """Add the proxy-connection flag and ``ALE_ORIGINAL_APP_ID`` to a crossing's arguments."""
    app = conv.redirect.proxied_app
    if not app or base not in PROXY_MARKED:
        return
    kw["flags"] = kw.get("flags", 0) | FLAG_IS_PROXY_CONNECTION
    kw["extra_fields"] = {"ALE_ORIGINAL_APP_ID": app, **kw.get("extra_fields", {})}


def bind_redirected(conv: Conversation, ep: Endpoint, req: BindRequest, step: Step) -> None:
    """The callout moved the socket's local end: record it in the journey."""
    before = ep.addr
    ep.addr = Address(req.local_address, req.local_port)
    journey = conv.journey
    journey.notes.append(f"bind redirected from {before} to {ep.addr}")
    who = _callout_of(step, req.modifier_filter_id or step.classification.filter_id)
    journey.redirects.append(
        RedirectEvent(who, step.layer, str(before), str(ep.addr), fate="bind redirected")
    )
    _note(conv, step, f"bind redirected: {before} -> {ep.addr}")


def connect_redirected(
    conv: Conversation, ep: Endpoint, peer: Endpoint, req: ConnectRequest, step: Step
) -> bool:
    """Apply a connect redirection; False when it is refused as a redirect loop."""
    red = conv.redirect
    before = red.socket_records or RedirectRecords()
    callouts = {
        st.filter_id: st.callout.callout
        for st in step.classification.matched_steps()
        if st.callout is not None
    }
    new = redirections(req, callouts)
    if not new:  # the callout wrote the request it was handed (the shortcut; no handle)
        fid = step.classification.filter_id
        new = (
            RedirectRecord(
                0,
                fid,
                callouts.get(fid, ""),
                (peer.addr.ip, peer.addr.port),
                (req.remote_address, req.remote_port),
                req.local_redirect_target_pid,
                req.local_redirect_context,
                req.local_redirect_context_size,
            ),
        )
    records = before.plus(new)
    last = new[-1]
    state = FwpsQueryConnectionRedirectState0(before, last.handle_id).name if before else ""
    original, target = str(peer.addr), f"{_addr(last.destination)}"
    journey = conv.journey
    fault = loop_fault(records, red.hops + 1, red.proxy_set_records)
    if fault:
        journey.faults.append(fault)
        journey.redirects.append(
            RedirectEvent(
                last.callout, step.layer, original, target, last.target_pid, state, "refused: loop"
            )
        )
        _note(conv, step, f"redirect loop: {last.callout or 'a filter'!r} (connect() failed)")
        journey.drop(step.layer, f"connect() to {target} refused: redirect loop")
        return False
    journey.redirects.append(
        RedirectEvent(last.callout, step.layer, original, target, last.target_pid, state)
    )
    journey.notes.append(f"connect redirected from {peer.addr} to {target}")
    _note(conv, step, f"connect redirected: {original} -> {target}")
    red.records = records
    red.target_pid = last.target_pid
    if red.original_destination is None:
        red.original_destination = peer.addr
    peer.addr = Address(*last.destination)
    if peer.addr.is_loopback and not peer.local:
        from wfpsim.stack.proxy import proxy_at

        # redirected to a local proxy: the other end now runs on this host
        proxy = proxy_at(conv.core.engine, peer.addr)
        pid = last.target_pid or ep.app.pid
        peer.local = True
        peer.app = proxy.app if proxy is not None else App(ep.app.path, ep.app.user, pid)
    return True


def _callout_of(step: Step, filter_id: int) -> str:
    for st in step.classification.matched_steps():
        if st.filter_id == filter_id and st.callout is not None:
            return st.callout.callout
    return ""


def _note(conv: Conversation, step: Step, text: str) -> None:
    steps = conv.journey.steps
    if step.index < len(steps) and steps[step.index] is step:
        steps[step.index] = replace(step, note=text)


def _addr(addr: tuple[str, int]) -> str:
    return str(Address(*addr))


__all__ = ["ConnectionRedirect", "bind_redirected", "connect_redirected", "mark_proxy"]
