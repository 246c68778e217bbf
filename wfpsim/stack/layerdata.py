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
    """``FWPS_CONNECT_REQUEST0``: a connect-redirect callout may change the remote end."""

    local_address: str
    local_port: int
    remote_address: str
    remote_port: int
    modifier_filter_id: int = 0
    local_redirect_target_pid: int = 0
    #: the version before the last ``FwpsApplyModifiedLayerData0`` (``wfpsim.modification``)
    previous_version: ConnectRequest | None = field(default=None, repr=False, compare=False)


@dataclass(slots=True)
class BindRequest:
    """``FWPS_BIND_REQUEST0``: a bind-redirect callout may change the local end."""

    local_address: str
    local_port: int
    modifier_filter_id: int = 0
    #: the version before the last ``FwpsApplyModifiedLayerData0`` (``wfpsim.modification``)
    previous_version: BindRequest | None = field(default=None, repr=False, compare=False)
