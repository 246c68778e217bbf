"""The real Windows identifiers, as module attributes, beside wfpsim's Pythonic names.

Everything a driver author types is here under its SDK name::

    from wfpsim.ids import (FWPM_LAYER_ALE_AUTH_CONNECT_V4, FWPS_LAYER_ALE_AUTH_CONNECT_V4,
                            FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT, FWP_ACTION_BLOCK)

- ``FWPM_LAYER_*``, ``FWPM_SUBLAYER_*``, ``FWPM_CONDITION_*``, ``FWPM_CALLOUT_*``,
  ``FWPM_PROVIDER_*``: GUIDs (:class:`uuid.UUID`);
- ``FWPS_LAYER_*``: run-time layer ids; ``FWPS_FIELD_<LAYER>_*``: field indexes;
- ``FWP_ACTION_*``, ``FWP_MATCH_*``, ``FWP_*`` data types, ``FWPM_FILTER_FLAG_*``,
  ``FWPS_RIGHT_ACTION_WRITE``, ``FWPS_CLASSIFY_OUT_FLAG_*``, ``FWP_CONDITION_FLAG_*``,
  ``FWPS_METADATA_FIELD_*`` and the ``FWPS_IS_METADATA_FIELD_PRESENT`` macro…;
- ``FWPS_STREAM_FLAG_*``, ``FWPS_DISCARD_*`` and the discard reasons the stack reports, the
  ``STATUS_*`` values the simulated kernel returns, and the few other SDK values the stack
  fills in (``NL_ADDRESS_TYPE``, IANA ``IF_TYPE_*``). Every SDK constant is defined here once;
  the rest of wfpsim imports it.

>>> FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT
7
>>> FWPS_LAYER_OUTBOUND_TRANSPORT_V4
16
>>> str(FWPM_LAYER_ALE_AUTH_CONNECT_V4)
'c38d57d1-05a7-4c33-904f-7fbceee60e82'
>>> FWP_ACTION_BLOCK == 0x1001
True
"""

from __future__ import annotations

import enum
from typing import Any

from wfpsim.actions import Action, FilterFlag
from wfpsim.catalog import layers, named_guids
from wfpsim.conditions import MatchType
from wfpsim.registry import CalloutRegisterFlag, NotifyType
from wfpsim.values import DataType

FWPS_RIGHT_ACTION_WRITE = 0x00000001
FWPS_CLASSIFY_OUT_FLAG_ABSORB = 0x00000001
FWPS_CLASSIFY_OUT_FLAG_BUFFER_LIMIT_REACHED = 0x00000002
FWPS_CLASSIFY_OUT_FLAG_NO_MORE_DATA = 0x00000004
FWPS_CLASSIFY_OUT_FLAG_ALE_FAST_CACHE_CHECK = 0x00000008
FWPS_CLASSIFY_OUT_FLAG_ALE_FAST_CACHE_POSSIBLE = 0x00000010
FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT = 0x0001
FWPS_FILTER_FLAG_PERMIT_IF_CALLOUT_UNREGISTERED = 0x0002
FWPS_FILTER_FLAG_OR_CONDITIONS = 0x0004
FWP_ACTION_FLAG_TERMINATING = 0x00001000
FWP_ACTION_FLAG_NON_TERMINATING = 0x00002000
FWP_ACTION_FLAG_CALLOUT = 0x00004000
FWP_DIRECTION_OUTBOUND = 0
FWP_DIRECTION_INBOUND = 1
FWPM_SESSION_FLAG_DYNAMIC = 0x00000001
FWPM_TXN_READ_ONLY = 0x00000001
FWPM_AUTO_WEIGHT_BITS = 60
FWPM_AUTO_WEIGHT_MAX = (1 << 64) - 1 >> 4
FWPM_WEIGHT_RANGE_MAX = (1 << 64) - 1 >> 60
FWPM_WEIGHT_RANGE_IPSEC = 0x0
FWPM_WEIGHT_RANGE_IKE_EXEMPTIONS = 0xC

#: NTSTATUS values the simulated kernel returns (ntstatus.h).
STATUS_SUCCESS = 0x00000000
STATUS_OBJECT_NAME_EXISTS = 0x40000000
STATUS_UNSUCCESSFUL = 0xC0000001
STATUS_INVALID_PARAMETER = 0xC000000D
STATUS_NOT_FOUND = 0xC0000225
STATUS_FAILED_DRIVER_ENTRY = 0xC0000365

#: ``FWPS_STREAM_FLAG_*`` bits of ``FWPS_STREAM_DATA0.flags`` (fwpsk.h; *FWPS_STREAM_DATA0*).
FWPS_STREAM_FLAG_RECEIVE = 0x00000001
FWPS_STREAM_FLAG_RECEIVE_EXPEDITED = 0x00000002
FWPS_STREAM_FLAG_RECEIVE_DISCONNECT = 0x00000004
FWPS_STREAM_FLAG_RECEIVE_ABORT = 0x00000008
FWPS_STREAM_FLAG_RECEIVE_PUSH = 0x00000010
FWPS_STREAM_FLAG_SEND = 0x00010000
FWPS_STREAM_FLAG_SEND_EXPEDITED = 0x00020000
FWPS_STREAM_FLAG_SEND_NODELAY = 0x00040000
FWPS_STREAM_FLAG_SEND_DISCONNECT = 0x00080000
FWPS_STREAM_FLAG_SEND_ABORT = 0x00100000

#: ``FWPS_DISCARD_MODULE0`` and ``FWPS_GENERAL_DISCARD_REASON`` (fwpstypes.h): who discarded.
FWPS_DISCARD_MODULE_NETWORK = 0
FWPS_DISCARD_MODULE_TRANSPORT = 1
FWPS_DISCARD_MODULE_GENERAL = 2
FWPS_DISCARD_FIREWALL_POLICY = 0
#: Discard reasons of the network (``IP_DISCARD_REASON``) and transport
#: (``INET_DISCARD_REASON``) modules (fwpsk.h), under their SDK names.
IpDiscardPortUnreachable = 4
InetDiscardEndpointNotFound = 4
#: ``NL_ADDRESS_TYPE`` (nldef.h): IP_LOCAL_ADDRESS_TYPE / IP_DESTINATION_ADDRESS_TYPE values.
NlatUnicast = 1
NlatMulticast = 3
NlatBroadcast = 4
#: IANA ifType values (ipifcons.h) of an Ethernet adapter and of the software loopback.
IF_TYPE_ETHERNET_CSMACD = 6
IF_TYPE_SOFTWARE_LOOPBACK = 24
#: The private profile (``NET_FW_PROFILE2_PRIVATE``, icftypes.h). Microsoft does not say which
#: numbering PROFILE_ID conditions use; we choose the firewall's profile bits.
NET_FW_PROFILE2_PRIVATE = 0x2

#: ``FWPS_METADATA_FIELD_*`` bits of ``currentMetadataValues`` (fwpsk.h).
METADATA_FIELDS = {
    "DISCARD_REASON": 0x00000001,
    "FLOW_HANDLE": 0x00000002,
    "IP_HEADER_SIZE": 0x00000004,
    "PROCESS_PATH": 0x00000008,
    "TOKEN": 0x00000010,
    "PROCESS_ID": 0x00000020,
    "SYSTEM_FLAGS": 0x00000040,
    "RESERVED": 0x00000080,
    "SOURCE_INTERFACE_INDEX": 0x00000100,
    "DESTINATION_INTERFACE_INDEX": 0x00000200,
    "TRANSPORT_HEADER_SIZE": 0x00000400,
    "COMPARTMENT_ID": 0x00000800,
    "FRAGMENT_DATA": 0x00001000,
    "PATH_MTU": 0x00002000,
    "COMPLETION_HANDLE": 0x00004000,
    "TRANSPORT_ENDPOINT_HANDLE": 0x00008000,
    "TRANSPORT_CONTROL_DATA": 0x00010000,
    "REMOTE_SCOPE_ID": 0x00020000,
    "PACKET_DIRECTION": 0x00040000,
    "PACKET_SYSTEM_CRITICAL": 0x00080000,
    "FORWARD_LAYER_OUTBOUND_PASS_THRU": 0x00100000,
    "FORWARD_LAYER_INBOUND_PASS_THRU": 0x00200000,
    "ALE_CLASSIFY_REQUIRED": 0x00400000,
    "TRANSPORT_HEADER_INCLUDE_HEADER": 0x00800000,
    "DESTINATION_PREFIX": 0x01000000,
    "ETHER_FRAME_LENGTH": 0x02000000,
    "PARENT_ENDPOINT_HANDLE": 0x04000000,
    "ICMP_ID_AND_SEQUENCE": 0x08000000,
    "LOCAL_REDIRECT_TARGET_PID": 0x10000000,
    "ORIGINAL_DESTINATION": 0x20000000,
    "REDIRECT_RECORD_HANDLE": 0x40000000,
    "SUB_PROCESS_TAG": 0x80000000,
}

#: ``FWP_CONDITION_FLAG_*`` bits of the FLAGS field.
CONDITION_FLAGS = {
    "FWP_CONDITION_FLAG_IS_LOOPBACK": 0x00000001,
    "FWP_CONDITION_FLAG_IS_IPSEC_SECURED": 0x00000002,
    "FWP_CONDITION_FLAG_IS_REAUTHORIZE": 0x00000004,
    "FWP_CONDITION_FLAG_IS_WILDCARD_BIND": 0x00000008,
    "FWP_CONDITION_FLAG_IS_RAW_ENDPOINT": 0x00000010,
    "FWP_CONDITION_FLAG_IS_FRAGMENT": 0x00000020,
    "FWP_CONDITION_FLAG_IS_FRAGMENT_GROUP": 0x00000040,
    "FWP_CONDITION_FLAG_IS_IPSEC_NATT_RECLASSIFY": 0x00000080,
    "FWP_CONDITION_FLAG_REQUIRES_ALE_CLASSIFY": 0x00000100,
    "FWP_CONDITION_FLAG_IS_IMPLICIT_BIND": 0x00000200,
    "FWP_CONDITION_FLAG_IS_REASSEMBLED": 0x00000400,
    "FWP_CONDITION_FLAG_IS_NAME_APP_SPECIFIED": 0x00004000,
    "FWP_CONDITION_FLAG_IS_PROMISCUOUS": 0x00008000,
    "FWP_CONDITION_FLAG_IS_AUTH_FW": 0x00010000,
    "FWP_CONDITION_FLAG_IS_RECLASSIFY": 0x00020000,
    "FWP_CONDITION_FLAG_IS_OUTBOUND_PASS_THRU": 0x00040000,
    "FWP_CONDITION_FLAG_IS_INBOUND_PASS_THRU": 0x00080000,
    "FWP_CONDITION_FLAG_IS_CONNECTION_REDIRECTED": 0x00100000,
    "FWP_CONDITION_FLAG_IS_PROXY_CONNECTION": 0x00200000,
    "FWP_CONDITION_FLAG_IS_APPCONTAINER_LOOPBACK": 0x00400000,
    "FWP_CONDITION_FLAG_IS_NON_APPCONTAINER_LOOPBACK": 0x00800000,
    "FWP_CONDITION_FLAG_IS_RESERVED": 0x01000000,
    "FWP_CONDITION_FLAG_IS_HONORING_POLICY_AUTHORIZE": 0x02000000,
}
#: ``FWP_CONDITION_REAUTHORIZE_REASON_*`` values of the REAUTHORIZE_REASON field (fwptypes.h).
REAUTHORIZE_REASONS = {
    "FWP_CONDITION_REAUTHORIZE_REASON_POLICY_CHANGE": 0x00000001,
    "FWP_CONDITION_REAUTHORIZE_REASON_NEW_ARRIVAL_INTERFACE": 0x00000002,
    "FWP_CONDITION_REAUTHORIZE_REASON_NEW_NEXTHOP_INTERFACE": 0x00000004,
    "FWP_CONDITION_REAUTHORIZE_REASON_PROFILE_CROSSING": 0x00000008,
    "FWP_CONDITION_REAUTHORIZE_REASON_CLASSIFY_COMPLETION": 0x00000010,
    "FWP_CONDITION_REAUTHORIZE_REASON_IPSEC_PROPERTIES_CHANGED": 0x00000020,
    "FWP_CONDITION_REAUTHORIZE_REASON_MID_STREAM_INSPECTION": 0x00000040,
    "FWP_CONDITION_REAUTHORIZE_REASON_SOCKET_PROPERTY_CHANGED": 0x00000080,
    "FWP_CONDITION_REAUTHORIZE_REASON_NEW_INBOUND_MCAST_BCAST_PACKET": 0x00000100,
    "FWP_CONDITION_REAUTHORIZE_REASON_EDP_POLICY_CHANGED": 0x00000200,
    "FWP_CONDITION_REAUTHORIZE_REASON_PRECLASSIFY_LOCALADDR_LAYER_CHANGE": 0x00000400,
    "FWP_CONDITION_REAUTHORIZE_REASON_PRECLASSIFY_REMOTEADDR_LAYER_CHANGE": 0x00000800,
    "FWP_CONDITION_REAUTHORIZE_REASON_PRECLASSIFY_LOCALPORT_LAYER_CHANGE": 0x00001000,
    "FWP_CONDITION_REAUTHORIZE_REASON_PRECLASSIFY_REMOTEPORT_LAYER_CHANGE": 0x00002000,
    "FWP_CONDITION_REAUTHORIZE_REASON_PROXY_HANDLE_CHANGED": 0x00004000,
    "FWP_CONDITION_REAUTHORIZE_REASON_PRECLASSIFY_POLICY_CHANGED": 0x00008000,
    "FWP_CONDITION_REAUTHORIZE_REASON_CHECK_OFFLOAD": 0x00010000,
}
#: The ``FWPS_STREAM_FLAG_*`` constants above, by name.
STREAM_FLAGS: dict[str, int] = {
    name: value for name, value in list(globals().items()) if name.startswith("FWPS_STREAM_FLAG_")
}


# --- packet injection (fwpsk.h, ws2def.h, ntstatus.h; wfpsim.injection) -------------------------
#: ``FWPS_INJECTION_TYPE_*``: the ``flags`` of ``FwpsInjectionHandleCreate0`` (fwpsk.h).
FWPS_INJECTION_TYPE_STREAM = 0x00000001
FWPS_INJECTION_TYPE_TRANSPORT = 0x00000002
FWPS_INJECTION_TYPE_NETWORK = 0x00000004
FWPS_INJECTION_TYPE_FORWARD = 0x00000008
FWPS_INJECTION_TYPE_L2 = 0x00000010
FWPS_INJECTION_TYPE_VSWITCH_TRANSPORT = 0x00000020
#: Address families (ws2def.h): the ``addressFamily`` of the injection functions.
AF_UNSPEC = 0
AF_INET = 2
AF_INET6 = 23
#: ``COMPARTMENT_ID`` values (netiodef.h).
UNSPECIFIED_COMPARTMENT_ID = 0
DEFAULT_COMPARTMENT_ID = 1
#: NTSTATUS values of the injection functions (ntstatus.h).
STATUS_NOT_SUPPORTED = 0xC00000BB
STATUS_FWP_NULL_POINTER = 0xC022001C
STATUS_FWP_TCPIP_NOT_READY = 0xC0220100
STATUS_FWP_INJECT_HANDLE_CLOSING = 0xC0220101
STATUS_FWP_INJECT_HANDLE_STALE = 0xC0220102
NDIS_STATUS_SUCCESS = 0x00000000
NDIS_STATUS_FAILURE = 0xC0000001


class PacketInjectionState(enum.IntEnum):
    """``FWPS_PACKET_INJECTION_STATE``, what ``FwpsQueryPacketInjectionState0`` returns (fwpsk.h).

    >>> int(FWPS_PACKET_INJECTED_BY_SELF), PacketInjectionState(3).fwp_name
    (1, 'FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF')
    """

    NOT_INJECTED = 0
    INJECTED_BY_SELF = 1
    INJECTED_BY_OTHER = 2
    PREVIOUSLY_INJECTED_BY_SELF = 3
    INJECTION_STATE_MAX = 4

    @property
    def fwp_name(self) -> str:
        """The SDK name: ``FWPS_PACKET_INJECTED_BY_SELF``."""
        return f"FWPS_PACKET_{self.name}"


FWPS_PACKET_NOT_INJECTED = PacketInjectionState.NOT_INJECTED
FWPS_PACKET_INJECTED_BY_SELF = PacketInjectionState.INJECTED_BY_SELF
FWPS_PACKET_INJECTED_BY_OTHER = PacketInjectionState.INJECTED_BY_OTHER
FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF = PacketInjectionState.PREVIOUSLY_INJECTED_BY_SELF
FWPS_PACKET_INJECTION_STATE_MAX = PacketInjectionState.INJECTION_STATE_MAX
# --- end of packet injection --------------------------------------------------------------------

# --- pended classification (ntstatus.h; wfpsim.pend) --------------------------------------------
#: ``FwpsPendOperation0`` in a reauthorization, ``FwpsPendClassify0`` at a layer that does not
#: allow asynchronous classification (ntstatus.h: ``STATUS_FWP_CANNOT_PEND``).
STATUS_FWP_CANNOT_PEND = 0xC0220103
# --- end of pended classification ---------------------------------------------------------------


# --- redirection (fwpsk.h, mstcpip.h, winsock2.h; wfpsim.redirection) ---------------------------
class ConnectionRedirectState(enum.IntEnum):
    """``FWPS_CONNECTION_REDIRECT_STATE``: what ``FwpsQueryConnectionRedirectState0`` returns.

    >>> int(FWPS_CONNECTION_REDIRECTED_BY_SELF), ConnectionRedirectState(3).fwp_name
    (1, 'FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF')
    """

    NOT_REDIRECTED = 0
    REDIRECTED_BY_SELF = 1
    REDIRECTED_BY_OTHER = 2
    PREVIOUSLY_REDIRECTED_BY_SELF = 3
    REDIRECT_STATE_MAX = 4

    @property
    def fwp_name(self) -> str:
        """The SDK name: ``FWPS_CONNECTION_REDIRECTED_BY_SELF``."""
        return f"FWPS_CONNECTION_{self.name}"


FWPS_CONNECTION_NOT_REDIRECTED = ConnectionRedirectState.NOT_REDIRECTED
FWPS_CONNECTION_REDIRECTED_BY_SELF = ConnectionRedirectState.REDIRECTED_BY_SELF
FWPS_CONNECTION_REDIRECTED_BY_OTHER = ConnectionRedirectState.REDIRECTED_BY_OTHER
FWPS_CONNECTION_PREVIOUSLY_REDIRECTED_BY_SELF = (
    ConnectionRedirectState.PREVIOUSLY_REDIRECTED_BY_SELF
)
FWPS_CONNECTION_REDIRECT_STATE_MAX = ConnectionRedirectState.REDIRECT_STATE_MAX
#: mstcpip.h: ``_WSAIOW(IOC_VENDOR, 220)``, ``221`` and ``222`` (IOC_IN 0x80000000 | IOC_VENDOR
#: 0x18000000 | code)
SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS = 0x980000DC
SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT = 0x980000DD
SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS = 0x980000DE
#: winsock2.h / winerror.h: what ``WSAIoctl`` returns on failure and the errors it reports
SOCKET_ERROR = -1
WSAEFAULT = 10014
WSAEINVAL = 10022
WSAENOTSOCK = 10038
# --- end of redirection -------------------------------------------------------------------------


# --- stream inspection (fwpstypes.h, fwpsk.h, ntstatus.h; wfpsim.streams) -----------------------
class StreamActionType(enum.IntEnum):
    """``FWPS_STREAM_ACTION_TYPE`` (fwpsk.h): ``FWPS_STREAM_CALLOUT_IO_PACKET0.streamAction``.

    The enumerators in the WDK header's order, numbered from 0 (the header gives no explicit
    values). Microsoft's *FWPS_STREAM_CALLOUT_IO_PACKET0* page documents all but
    ``REQUEST_OUT_OF_BAND``, which the header declares and no page describes. The numbers are
    from the header as remembered, not yet re-read from a WDK copy (no public copy of fwpsk.h
    was at hand): a driver should compare with the names, as wfpsim's own code does.

    >>> int(FWPS_STREAM_ACTION_NEED_MORE_DATA), StreamActionType(5).fwp_name
    (3, 'FWPS_STREAM_ACTION_DEFER')
    """

    NONE = 0
    ALLOW_CONNECTION = 1
    REQUEST_OUT_OF_BAND = 2
    NEED_MORE_DATA = 3
    DROP_CONNECTION = 4
    DEFER = 5
    TYPE_MAX = 6

    @property
    def fwp_name(self) -> str:
        """The SDK name: ``FWPS_STREAM_ACTION_NEED_MORE_DATA``."""
        return f"FWPS_STREAM_ACTION_{self.name}"


FWPS_STREAM_ACTION_NONE = StreamActionType.NONE
FWPS_STREAM_ACTION_ALLOW_CONNECTION = StreamActionType.ALLOW_CONNECTION
FWPS_STREAM_ACTION_REQUEST_OUT_OF_BAND = StreamActionType.REQUEST_OUT_OF_BAND
FWPS_STREAM_ACTION_NEED_MORE_DATA = StreamActionType.NEED_MORE_DATA
FWPS_STREAM_ACTION_DROP_CONNECTION = StreamActionType.DROP_CONNECTION
FWPS_STREAM_ACTION_DEFER = StreamActionType.DEFER
FWPS_STREAM_ACTION_TYPE_MAX = StreamActionType.TYPE_MAX
#: NTSTATUS values of the stream functions (ntstatus.h).
STATUS_FWP_INVALID_PARAMETER = 0xC0220035
STATUS_INVALID_DEVICE_STATE = 0xC0000184
#: How much stream data WFP accumulates for FWPS_STREAM_ACTION_NEED_MORE_DATA before it sets
#: FWPS_CLASSIFY_OUT_FLAG_BUFFER_LIMIT_REACHED (Microsoft Learn, *Stream Inspection*: 8 MB).
STREAM_BUFFER_LIMIT = 8 * 1024 * 1024
# --- end of stream inspection -------------------------------------------------------------------


def FWPS_IS_METADATA_FIELD_PRESENT(meta_values: Any, bit: int) -> bool:
    """The fwpsk.h macro: ``(currentMetadataValues & bit) == bit``.

    >>> from wfpsim.callouts import MetaValues
    >>> FWPS_IS_METADATA_FIELD_PRESENT(MetaValues(current_metadata_values=0x2), 0x2)
    True
    """
    return bool(meta_values.current_metadata_values & bit == bit)


def all_names() -> dict[str, Any]:
    """Every identifier this module defines, by name."""
    out: dict[str, Any] = dict(named_guids())
    for la in layers():
        if not la.documented:  # names of ours, not SDK identifiers (wfpsim.catalog has them)
            if la.runtime_alias and la.id is not None:
                out[la.runtime_alias] = la.id  # the header's FWPS_LAYER_RESERVED_LAYER_9
            continue
        if la.id is not None:
            out[la.runtime_name] = la.id
        for f in la.fields:
            out.setdefault(f.name, f.index)
        for alias, target in la.field_aliases:  # fwpsu.h #defines, e.g. …_ICMP_TYPE
            out.setdefault(alias, la.field(target).index)
    out.update({a.fwp_name: int(a) for a in Action})
    out.update({m.fwp_name: int(m) for m in MatchType})
    out.update({t.fwp_name: int(t) for t in DataType})
    out.update({f"FWPM_FILTER_FLAG_{f.name}": int(f) for f in FilterFlag if f.name})
    out.update({f"FWP_CALLOUT_FLAG_{f.name}": int(f) for f in CalloutRegisterFlag if f.name})
    out.update({n.fwp_name: int(n) for n in NotifyType})
    out.update(CONDITION_FLAGS)
    out.update(REAUTHORIZE_REASONS)
    out.update(STREAM_FLAGS)
    out.update({a.fwp_name: a for a in StreamActionType})
    out.update({f"FWPS_METADATA_FIELD_{n}": bit for n, bit in METADATA_FIELDS.items()})
    return out


globals().update(all_names())


def __getattr__(name: str) -> Any:  # pragma: no cover - only reached for unknown names
    raise AttributeError(
        f"wfpsim.ids has no identifier {name!r}; see `wfpsim layer NAME` for field names"
    )
