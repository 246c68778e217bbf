"""What ``layerData`` points at, per layer (Microsoft Learn, *Data offset positions*).

* packet layers: a :class:`NetBufferList` — the packet's bytes (network order) and the data
  offset where the layer's view begins;
* the stream layer: a :class:`StreamCalloutIoPacket` with the stream data only;
* the redirect layers: a :class:`ConnectRequest` / :class:`BindRequest` a callout may change;
* ALE layers without a packet (TCP connect, bind, listen, closure): ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wfpsim.ids import (
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


@dataclass(frozen=True, slots=True)
class StreamCalloutIoPacket:
    """``FWPS_STREAM_CALLOUT_IO_PACKET0``: stream data, no IP or TCP headers."""

    data: bytes
    flags: int

    @property
    def data_length(self) -> int:
        """``streamData->dataLength``."""
        return len(self.data)

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
