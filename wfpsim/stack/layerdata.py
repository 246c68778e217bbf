"""What ``layerData`` points at, per layer (Microsoft Learn, *Data offset positions*).

* packet layers: a :class:`NetBufferList` — the packet's bytes (network order) and the data
  offset where the layer's view begins;
* the stream layer: a :class:`StreamCalloutIoPacket` (``FWPS_STREAM_CALLOUT_IO_PACKET0``): the
  stream data only, and the members a stream callout answers in;
* the redirect layers: a :class:`ConnectRequest` / :class:`BindRequest` a callout may change;
* ALE layers without a packet (TCP connect, bind, listen, closure): ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wfpsim.ids import (
    FWP_ACTION_BLOCK,
    FWPS_STREAM_FLAG_RECEIVE_DISCONNECT,
    FWPS_STREAM_FLAG_SEND,
    FWPS_STREAM_FLAG_SEND_DISCONNECT,
)


@dataclass(slots=True)
class NetBufferList:
    """A ``NET_BUFFER_LIST`` with one ``NET_BUFFER``: the whole packet and the data offset.

    ``data`` is the full IP packet as on the wire; ``data_offset`` is where Windows' current
    ``DataOffset`` points at this layer (the IP header, the transport header or the payload).
    The offset moves only through ``NdisRetreatNetBufferDataStart`` /
    ``NdisAdvanceNetBufferDataStart`` (:mod:`wfpsim.injection`), as in NDIS.

    The rest is what the kernel keeps with a net buffer list for packet injection
    (:mod:`wfpsim.injection`): ``injected``, the injection history (oldest first: which
    injection handle injected it, with which ``injectionContext``) that
    ``FwpsQueryPacketInjectionState0`` reads; ``parent``, the original of a clone
    (``ParentNetBufferList``); ``status``, the ``Status`` a completion function reads;
    ``freed``, set by ``FwpsFreeCloneNetBufferList0`` / ``FwpsFreeNetBufferList0``.
    """

    data: bytes
    data_offset: int
    injected: tuple[Any, ...] = field(default=(), compare=False)
    parent: NetBufferList | None = field(default=None, compare=False, repr=False)
    status: int = field(default=0, compare=False)
    freed: bool = field(default=False, compare=False, repr=False)

    @property
    def current(self) -> bytes:
        """The bytes from the data offset on (what ``NdisGetDataBuffer`` would give)."""
        return self.data[self.data_offset :]

    def retreat(self, size: int) -> bytes:
        """``NdisRetreatNetBufferDataStart``: the view ``size`` bytes earlier."""
        return self.data[max(0, self.data_offset - size) :]


@dataclass(slots=True)
class StreamDataOffset:
    """``FWPS_STREAM_DATA_OFFSET0``: where the indicated portion begins.

    Here the data sits in one net buffer list with one net buffer and no MDL chain:
    ``net_buffer_list`` is that list, ``mdl_offset`` the first byte's offset in it.
    ``stream_data_offset`` ("reserved for system use") holds how many bytes of this direction
    of the stream came before the portion (**our choice**: drivers must not read it).
    """

    net_buffer_list: NetBufferList | None = None
    net_buffer: NetBufferList | None = None
    mdl: bytes | None = None
    mdl_offset: int = 0
    net_buffer_offset: int = 0
    stream_data_offset: int = 0


@dataclass(slots=True)
class StreamData:
    """``FWPS_STREAM_DATA0``: a portion of a data stream (``FWPS_STREAM_FLAG_*`` in ``flags``).

    ``net_buffer_list_chain`` holds the bytes (a data offset of 0); for stream data a callout
    injected, it carries that injection's history, which ``FwpsQueryPacketInjectionState0``
    reads. Copy the bytes out with :func:`wfpsim.streams.FwpsCopyStreamDataToBuffer0`, or read
    :attr:`data`.
    """

    flags: int
    data_offset: StreamDataOffset
    data_length: int
    net_buffer_list_chain: NetBufferList

    @property
    def data(self) -> bytes:
        """The indicated bytes (``data_length`` of them)."""
        return self.net_buffer_list_chain.current[: self.data_length]


#: The members of FWPS_STREAM_CALLOUT_IO_PACKET0 a classifyFn sets (who wrote each is kept).
OUT_MEMBERS = ("stream_action", "count_bytes_required", "count_bytes_enforced")


@dataclass(slots=True, repr=False, eq=False)
class StreamCalloutIoPacket:
    """``FWPS_STREAM_CALLOUT_IO_PACKET0``: ``layer_data`` at ``STREAM_V4`` / ``STREAM_V6``.

    ``stream_data`` describes the indicated bytes (no IP or TCP header); ``missed_bytes`` is
    what this callout did not see since its last call. A classifyFn answers in
    ``stream_action`` (``FWPS_STREAM_ACTION_*``), ``count_bytes_required`` (with
    ``FWPS_STREAM_ACTION_NEED_MORE_DATA``) and ``count_bytes_enforced`` (how many leading bytes
    its action covers; the rest is indicated again). :mod:`wfpsim.stack.streamio` reads them.

    The packet remembers which running callout wrote each of those three members last
    (:attr:`writers`; the stack reports a wrong combination as that callout's fault). ``data``,
    ``flags``, ``data_length``, ``outbound`` and ``disconnect`` are shortcuts into
    ``stream_data``. Build one from bytes with :meth:`of`.
    """

    stream_data: StreamData
    missed_bytes: int = 0
    count_bytes_required: int = 0
    count_bytes_enforced: int = 0
    stream_action: int = 0
    #: member -> the callout that wrote it last
    _writers: dict[str, str] = field(default_factory=dict)
    #: FWPS_CLASSIFY_OUT_FLAG_* the engine sets in classify_out for this indication
    _given_flags: int = 0
    #: for injected stream data: the callout id that injected it (0: the stack's data)
    _injected_by: int = 0
    #: filter -> True when its callout must not see this data (injected: lower sublayers only)
    _only_below: Callable[[Any], bool] | None = None
    #: the callout that blocked the data (later callouts do not see it: the waterfall)
    _blocked_by: str = ""

    @classmethod
    def of(
        cls, data: bytes, flags: int = 0, missed_bytes: int = 0, stream_data_offset: int = 0
    ) -> StreamCalloutIoPacket:
        """An io packet for ``data`` with ``FWPS_STREAM_FLAG_*`` ``flags``."""
        nbl = NetBufferList(bytes(data), 0)
        offset = StreamDataOffset(nbl, nbl, nbl.data, 0, 0, stream_data_offset)
        return cls(StreamData(flags, offset, len(nbl.data), nbl), missed_bytes)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in OUT_MEMBERS:  # remember which callout answered
            from wfpsim.kernel import current_kernel

            kernel = current_kernel()
            if kernel is not None and kernel.running_callouts:
                self._writers[name] = kernel.running_callouts[-1]
        object.__setattr__(self, name, value)

    def given(
        self,
        flags: int = 0,
        injected_by: int = 0,
        only_below: Callable[[Any], bool] | None = None,
    ) -> None:
        """What the stack hands with this indication (``classify_out`` flags; injected data)."""
        self._given_flags, self._injected_by, self._only_below = flags, injected_by, only_below

    @property
    def writers(self) -> dict[str, str]:
        """``stream_action`` / ``count_bytes_*`` -> the callout that set it last."""
        return dict(self._writers)

    @property
    def classify_out_flags(self) -> int:
        """The ``FWPS_CLASSIFY_OUT_FLAG_*`` the engine puts in ``classify_out.flags`` here."""
        return self._given_flags

    def skip_filter(self, flt: object) -> bool:
        """The classifier does not call this filter's callout (read before each callout).

        Microsoft Learn, *Stream Inspection* (waterfall model): once a callout blocked the
        data no later callout inspects it; injected data goes to lower-weight sublayers only.
        """
        if self._blocked_by:
            return True
        return self._only_below is not None and self._only_below(flt)

    def after_callout(self, callout: str, action: int) -> None:
        """The classifier reports each callout's returned action (a BLOCK ends the waterfall)."""
        if action == FWP_ACTION_BLOCK and not self.stream_action_by(callout):
            self._blocked_by = callout

    def stream_action_by(self, callout: str) -> bool:
        """``callout`` set a stream action other than ``FWPS_STREAM_ACTION_NONE``."""
        return self._writers.get("stream_action") == callout and self.stream_action != 0

    @property
    def data(self) -> bytes:
        """The indicated bytes (``stream_data.data``)."""
        return self.stream_data.data

    @property
    def flags(self) -> int:
        """``stream_data.flags``."""
        return self.stream_data.flags

    @property
    def data_length(self) -> int:
        """``streamData->dataLength``."""
        return self.stream_data.data_length

    @property
    def outbound(self) -> bool:
        """``FWPS_STREAM_FLAG_SEND`` is set."""
        return bool(self.flags & FWPS_STREAM_FLAG_SEND)

    @property
    def disconnect(self) -> bool:
        """A FIN: ``FWPS_STREAM_FLAG_SEND_DISCONNECT`` or ``..._RECEIVE_DISCONNECT``."""
        return bool(
            self.flags & (FWPS_STREAM_FLAG_SEND_DISCONNECT | FWPS_STREAM_FLAG_RECEIVE_DISCONNECT)
        )

    def members(self) -> list[tuple[str, str]]:
        """The members as (name, value) rows, the callout's answers naming who wrote them."""
        from wfpsim.ids import STREAM_FLAGS, StreamActionType

        sd = self.stream_data
        flags = [
            n.removeprefix("FWPS_STREAM_FLAG_") for n, b in STREAM_FLAGS.items() if sd.flags & b
        ]
        rows = [
            ("stream_data.flags", f"{sd.flags:#x} ({' | '.join(flags) or 'none'})"),
            ("stream_data.data_length", str(sd.data_length)),
            ("stream_data.data_offset.stream_data_offset", str(sd.data_offset.stream_data_offset)),
            ("missed_bytes", str(self.missed_bytes)),
        ]
        if self.classify_out_flags:
            rows.append(("classify_out.flags (given)", f"{self.classify_out_flags:#x}"))
        for name in OUT_MEMBERS:
            value = getattr(self, name)
            shown = str(value)
            if name == "stream_action":
                try:
                    shown = StreamActionType(value).fwp_name
                except ValueError:
                    shown = repr(value)
            who = self.writers.get(name)
            rows.append((name, shown + (f" (set by {who!r})" if who else "")))
        if sd.net_buffer_list_chain.injected:
            rows.append(("injected", "yes: FwpsStreamInjectAsync0 data (lower sublayers only)"))
        return rows

    def __repr__(self) -> str:
        answer = ", ".join(f"{k}={getattr(self, k)}" for k in OUT_MEMBERS if getattr(self, k))
        return (
            f"StreamCalloutIoPacket({self.data!r}, flags={self.flags:#x}"
            + (f", {answer}" if answer else "")
            + ")"
        )


@dataclass(slots=True)
class ConnectRequest:
    """``FWPS_CONNECT_REQUEST0``: a connect-redirect callout may change the remote end.

    ``localAddressAndPort`` / ``remoteAddressAndPort`` are split into address and port. To send
    the connection to a local proxy a callout also sets ``local_redirect_target_pid`` (the
    proxy's process id: "must be set for loopback redirect changes to be accepted"),
    ``local_redirect_handle`` (from ``FwpsRedirectHandleCreate0``) and
    ``local_redirect_context`` / ``local_redirect_context_size`` (what the proxy reads with
    ``SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT``: usually the original destination); see
    :mod:`wfpsim.redirection`. Microsoft: changing the local end here "is not supported" (use
    bind redirection) — the stack ignores it.
    """

    local_address: str
    local_port: int
    remote_address: str
    remote_port: int
    modifier_filter_id: int = 0
    local_redirect_target_pid: int = 0
    port_reservation_token: int = 0
    local_redirect_handle: Any = None
    local_redirect_context: Any = None
    local_redirect_context_size: int = 0
    #: the version before the last ``FwpsApplyModifiedLayerData0`` (``wfpsim.modification``)
    previous_version: ConnectRequest | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class BindRequest:
    """``FWPS_BIND_REQUEST0``: a bind-redirect callout may change the local end.

    The change applies to the socket: every connection it makes leaves from the new address
    and port ("changes at bind layers affect all connections that are using that socket").
    """

    local_address: str
    local_port: int
    modifier_filter_id: int = 0
    port_reservation_token: int = 0
    #: the version before the last ``FwpsApplyModifiedLayerData0`` (``wfpsim.modification``)
    previous_version: BindRequest | None = field(default=None, repr=False, compare=False)
