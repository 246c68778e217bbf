"""Connect redirection, the C API's shape in Python: redirect handles, records and state.

A callout at ``ALE_CONNECT_REDIRECT`` that sends connections to a local proxy does what
Microsoft's *Using Bind or Connect Redirection* lists, with the C signatures kept (an
out-parameter is an :class:`~wfpsim.netbuffers.Out` cell)::

    handle = Out()
    FwpsRedirectHandleCreate0(PROVIDER_GUID, 0, handle)          # once, in DriverEntry
    ...
    def classify(in_fixed_values, in_meta_values, layer_data, classify_context, filter,
                 flow_context, classify_out):
        state = FwpsQueryConnectionRedirectState0(in_meta_values.redirect_records,
                                                  handle.value, None)
        if state in (FWPS_CONNECTION_REDIRECTED_BY_SELF,
                     FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF):
            classify_out.action_type = FWP_ACTION_PERMIT   # the proxy's own connection
            return
        # FwpsAcquireClassifyHandle0, FwpsAcquireWritableLayerDataPointer0 (wfpsim.modification),
        # then on the writable FWPS_CONNECT_REQUEST0: remote_address/remote_port = the proxy,
        # local_redirect_target_pid = the proxy's pid, local_redirect_handle = handle.value,
        # local_redirect_context = the original destination; FwpsApplyModifiedLayerData0.

The proxy then asks its accepted socket for the *redirect records* and the *redirect context*
(``SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS`` / ``..._CONTEXT``) and sets the records on its
own outgoing socket (``SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS``) — :mod:`wfpsim.stack.proxy`
models those socket calls. The records travel with the proxy's connection to
``ALE_CONNECT_REDIRECT``, where ``in_meta_values.redirect_records`` carries them
(``FWPS_METADATA_FIELD_REDIRECT_RECORD_HANDLE``) and ``FwpsQueryConnectionRedirectState0``
reads them: that is how the callout recognises its own proxy's connection.

Choices where Microsoft is silent, all **our choice**:

* The records are a :class:`RedirectRecords` value: one :class:`RedirectRecord` per redirection
  of the connection's line (the app's connection, then each proxy hop), oldest first. The state
  is read from them: none — ``NOT_REDIRECTED``; the newest by this handle — ``REDIRECTED_BY_SELF``;
  an older one by this handle, the newest by another — ``PREVIOUSLY_REDIRECTED_BY_SELF``;
  otherwise ``REDIRECTED_BY_OTHER``. The context returned is the one of this handle's newest
  record.
* A redirection without a redirect handle (the Windows 7 way, ``local_redirect_handle`` left
  unset) is recorded with handle id 0: no handle can call it "self".
* ``FwpsRedirectHandleCreate0`` requires ``flags`` 0 (the page: "reserved") and returns
  ``STATUS_INVALID_PARAMETER`` otherwise; a destroyed handle is still compared by its id.
* **Loops.** A proxy connection redirected back to the proxy loops forever on Windows (the
  ``SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS`` page names it: "stuck in an infinite proxy loop").
  wfpsim refuses the redirection that would make a line redirected more than
  :data:`REDIRECT_LOOP_LIMIT` times, fails that ``connect()`` and reports the loop as the fault
  of the callout that redirected (or of the proxy, when it did not set the records).
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wfpsim.ids import (
    STATUS_FWP_NULL_POINTER,
    STATUS_INVALID_PARAMETER,
    STATUS_SUCCESS,
    ConnectionRedirectState,
)
from wfpsim.kernel import current_kernel
from wfpsim.netbuffers import Out, is_out

if TYPE_CHECKING:
    from wfpsim.kernel import Kernel

#: How many times one connection line may be redirected before wfpsim calls it a loop.
REDIRECT_LOOP_LIMIT = 3
#: Bytes one record takes in the buffer ``SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS`` fills
#: (**our choice**: the real records are opaque and their size undocumented).
RECORD_SIZE = 64


@dataclass(slots=True)
class RedirectHandle:
    """What ``FwpsRedirectHandleCreate0`` hands out (a ``HANDLE``)."""

    handle_id: int
    provider_guid: uuid.UUID | None
    destroyed: bool = False

    def __repr__(self) -> str:
        return f"<redirect handle {self.handle_id:#x}>"


@dataclass(frozen=True, slots=True)
class RedirectRecord:
    """One redirection: which handle (0: none) and filter, from where to where, for which pid.

    ``context`` / ``context_size`` are the callout's ``localRedirectContext`` and its size.
    """

    handle_id: int
    filter_id: int
    callout: str
    original_destination: tuple[str, int]
    destination: tuple[str, int]
    target_pid: int = 0
    context: Any = None
    context_size: int = 0

    def describe(self) -> str:
        """``'proxy' sent 93.184.216.34:80 to 127.0.0.1:8080 (pid 5000)``."""
        who = f"callout {self.callout!r}" if self.callout else f"filter {self.filter_id}"
        pid = f" (pid {self.target_pid})" if self.target_pid else ""
        return f"{who} sent {_text(self.original_destination)} to {_text(self.destination)}{pid}"


@dataclass(frozen=True, slots=True)
class RedirectRecords:
    """A connection's redirect records: the opaque ``redirectRecords`` handle and buffer."""

    records: tuple[RedirectRecord, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.records)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def size(self) -> int:
        """The buffer size the records take (``RECORD_SIZE`` bytes each, our choice)."""
        return RECORD_SIZE * len(self.records)

    @property
    def original_destination(self) -> tuple[str, int] | None:
        """Where the line was first going (before any redirection)."""
        return self.records[0].original_destination if self.records else None

    def by(self, handle_id: int) -> int:
        """How many of the redirections this handle made (0 for handle id 0: unknown)."""
        return sum(1 for r in self.records if handle_id and r.handle_id == handle_id)

    def plus(self, new: tuple[RedirectRecord, ...]) -> RedirectRecords:
        """These records followed by ``new``."""
        return RedirectRecords(self.records + new)


@dataclass(slots=True)
class RedirectState:
    """A kernel's redirect handles."""

    handles: dict[int, RedirectHandle] = field(default_factory=dict)
    next_handle: int = 0x9000


_STATES: weakref.WeakKeyDictionary[Kernel, RedirectState] = weakref.WeakKeyDictionary()


def redirect_state(kernel: Kernel) -> RedirectState:
    """The redirect handles of one kernel (created on first use)."""
    found = _STATES.get(kernel)
    if found is None:
        found = _STATES[kernel] = RedirectState()
    return found


def handle_id_of(handle: object) -> int:
    """The id of a :class:`RedirectHandle` (or of an int handle); 0 for anything else."""
    if isinstance(handle, RedirectHandle):
        return handle.handle_id
    if isinstance(handle, int) and not isinstance(handle, bool):
        return handle
    return 0


# -- the kernel calls -------------------------------------------------------------------------
def FwpsRedirectHandleCreate0(
    provider_guid: uuid.UUID | None, flags: int, redirect_handle: Out[RedirectHandle]
) -> int:
    """A redirect handle for ``local_redirect_handle`` and ``FwpsQueryConnectionRedirectState0``.

    Returns ``STATUS_SUCCESS``; ``STATUS_FWP_NULL_POINTER`` without an out cell;
    ``STATUS_INVALID_PARAMETER`` for flags other than 0 or outside an engine's kernel.
    """
    kernel = current_kernel()
    if not is_out(redirect_handle):
        return STATUS_FWP_NULL_POINTER
    if kernel is None or flags != 0:
        return STATUS_INVALID_PARAMETER
    state = redirect_state(kernel)
    state.next_handle += 4
    handle = RedirectHandle(state.next_handle, provider_guid)
    state.handles[handle.handle_id] = handle
    redirect_handle.value = handle
    return STATUS_SUCCESS


def FwpsRedirectHandleDestroy0(redirect_handle: RedirectHandle) -> None:
    """Destroy a redirect handle (a ``void`` function: anything else is ignored)."""
    if isinstance(redirect_handle, RedirectHandle):
        redirect_handle.destroyed = True
        kernel = current_kernel()
        if kernel is not None:
            redirect_state(kernel).handles.pop(redirect_handle.handle_id, None)


def FwpsQueryConnectionRedirectState0(
    redirect_records: RedirectRecords | None,
    redirect_handle: RedirectHandle | int,
    redirect_context: Out[Any] | None = None,
) -> ConnectionRedirectState:
    """The redirect state of a connection for this handle (and, by self, its context).

    ``redirect_records`` is ``in_meta_values.redirect_records`` at ``ALE_CONNECT_REDIRECT``
    (None when the connection carries none: ``FWPS_CONNECTION_NOT_REDIRECTED``).

    >>> records = RedirectRecords((RedirectRecord(0x9004, 7, "p", ("1.2.3.4", 80),
    ...                                           ("127.0.0.1", 8080), context="ctx"),))
    >>> FwpsQueryConnectionRedirectState0(records, 0x9004).fwp_name
    'FWPS_CONNECTION_REDIRECTED_BY_SELF'
    >>> FwpsQueryConnectionRedirectState0(records, 0x9008).fwp_name
    'FWPS_CONNECTION_REDIRECTED_BY_OTHER'
    """
    if not isinstance(redirect_records, RedirectRecords) or not redirect_records:
        return ConnectionRedirectState.NOT_REDIRECTED
    hid = handle_id_of(redirect_handle)
    mine = [r for r in redirect_records.records if hid and r.handle_id == hid]
    if not mine:
        return ConnectionRedirectState.REDIRECTED_BY_OTHER
    if is_out(redirect_context) and redirect_context is not None:
        redirect_context.value = mine[-1].context
    if redirect_records.records[-1].handle_id == hid:
        return ConnectionRedirectState.REDIRECTED_BY_SELF
    return ConnectionRedirectState.PREVIOUSLY_REDIRECTED_BY_SELF


# -- what the stack uses -----------------------------------------------------------------------
def redirections(request: Any, callouts: dict[int, str]) -> tuple[RedirectRecord, ...]:
    """The redirections one ``ALE_CONNECT_REDIRECT`` classification applied, oldest first.

    Walks the request's versions (``previous_version``): each version made by a filter whose
    remote end differs from the version before it is one redirection. ``callouts`` names the
    callout of each filter id.
    """
    found = []
    version = request
    while version is not None and version.previous_version is not None:
        before = version.previous_version
        now = (version.remote_address, version.remote_port)
        then = (before.remote_address, before.remote_port)
        if version.modifier_filter_id and now != then:
            found.append(
                RedirectRecord(
                    handle_id_of(version.local_redirect_handle),
                    version.modifier_filter_id,
                    callouts.get(version.modifier_filter_id, ""),
                    then,
                    now,
                    version.local_redirect_target_pid,
                    version.local_redirect_context,
                    version.local_redirect_context_size,
                )
            )
        version = before
    return tuple(reversed(found))


def loop_fault(records: RedirectRecords, hops: int, proxy_set_records: bool) -> str:
    """The fault text when a line went past :data:`REDIRECT_LOOP_LIMIT` redirections, else ""."""
    newest = records.records[-1] if records else None
    if newest is None or max(records.by(newest.handle_id), hops) <= REDIRECT_LOOP_LIMIT:
        return ""
    who = f"callout {newest.callout!r}" if newest.callout else f"filter {newest.filter_id}"
    target = _text(newest.destination)
    back = max(records.by(newest.handle_id), hops) - 1  # the first redirection was the app's
    if not proxy_set_records:
        return (
            f"proxy loop at ALE_CONNECT_REDIRECT: the local proxy at {target} did not set "
            "SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS on its own outgoing socket, so "
            f"{who} could not tell the proxy's connection from the app's and redirected it "
            f"back to the proxy {back} times (the last one refused). On Windows this never "
            "ends. The proxy must copy the records of the accepted connection "
            "(SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS) onto the socket it connects with."
        )
    return (
        f"{who}: redirect loop at ALE_CONNECT_REDIRECT: it redirected its own proxy's "
        f"connection back to {target} {back} times (the last one refused). On Windows "
        "this never ends. Ask FwpsQueryConnectionRedirectState0(in_meta_values.redirect_records, "
        "redirect_handle) first and leave connections FWPS_CONNECTION_REDIRECTED_BY_SELF or "
        "FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF alone (FWP_ACTION_PERMIT)."
    )


#: ``FWPS_METADATA_FIELD_*`` name -> ``MetaValues`` member, for the redirect metadata
META_MEMBERS = {
    "REDIRECT_RECORD_HANDLE": "redirect_records",
    "ORIGINAL_DESTINATION": "original_destination",
    "LOCAL_REDIRECT_TARGET_PID": "local_redirect_target_pid",
}


@dataclass(frozen=True, slots=True)
class RedirectView:
    """What a crossing knows about redirection: the records its socket carries, and for a
    redirected connection its original destination and the target pid."""

    records: RedirectRecords | None = None
    original_destination: tuple[str, int] | None = None
    target_pid: int = 0


def redirect_metadata(family: str, view: RedirectView | None) -> dict[str, Any]:
    """The redirect metadata members set at a layer family, by ``FWPS_METADATA_FIELD`` name.

    ``REDIRECT_RECORD_HANDLE`` at ``ALE_CONNECT_REDIRECT`` when the socket carries records
    (*Metadata fields at each filtering layer*). ``ORIGINAL_DESTINATION`` and
    ``LOCAL_REDIRECT_TARGET_PID`` at ``ALE_AUTH_CONNECT`` of a redirected connection: *Using Bind
    or Connect Redirection* tells callouts to read them there, though the metadata table lists
    neither at that layer (**our choice**: the redirection page wins; the table's
    ``LOCAL_REDIRECT_TARGET_PID`` at the redirect layers is not set — its meaning there is
    undocumented).
    """
    if view is None:
        return {}
    if family == "ALE_CONNECT_REDIRECT" and view.records:
        return {"REDIRECT_RECORD_HANDLE": view.records}
    if family == "ALE_AUTH_CONNECT" and view.original_destination is not None:
        out: dict[str, Any] = {"ORIGINAL_DESTINATION": view.original_destination}
        if view.target_pid:
            out["LOCAL_REDIRECT_TARGET_PID"] = view.target_pid
        return out
    return {}


def describe_records(records: RedirectRecords) -> str:
    """The records in words, and what ``FwpsQueryConnectionRedirectState0`` answers for them.

    >>> once = RedirectRecord(0x9004, 7, "p", ("1.2.3.4", 80), ("127.0.0.1", 8080))
    >>> text = describe_records(RedirectRecords((once,)))
    >>> text.split(";")[0]
    "1 redirection: callout 'p' sent 1.2.3.4:80 to 127.0.0.1:8080"
    >>> "REDIRECTED_BY_SELF for handle 0x9004" in text
    True
    """
    if not records:
        return "none: FwpsQueryConnectionRedirectState0 says NOT_REDIRECTED"
    count = len(records)
    said = []
    for hid in dict.fromkeys(r.handle_id for r in reversed(records.records) if r.handle_id):
        state = FwpsQueryConnectionRedirectState0(records, hid)
        said.append(f"{state.name} for handle {hid:#x}")
    said.append("REDIRECTED_BY_OTHER for any other")
    return (
        f"{count} redirection{'s' if count > 1 else ''}: "
        + "; ".join(r.describe() for r in records.records)
        + "; FwpsQueryConnectionRedirectState0 says "
        + ", ".join(said)
    )


def _text(addr: tuple[str, int]) -> str:
    ip, port = addr
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


__all__ = [
    "REDIRECT_LOOP_LIMIT",
    "FwpsQueryConnectionRedirectState0",
    "FwpsRedirectHandleCreate0",
    "FwpsRedirectHandleDestroy0",
    "Out",
    "RedirectHandle",
    "RedirectRecord",
    "RedirectRecords",
    "RedirectView",
    "describe_records",
    "loop_fault",
    "redirect_metadata",
    "redirections",
]
