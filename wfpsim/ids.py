"""The real Windows identifiers, as module attributes, beside wfpsim's Pythonic names.

Everything a driver author types is here under its SDK name::

    from wfpsim.ids import (FWPM_LAYER_ALE_AUTH_CONNECT_V4, FWPS_LAYER_ALE_AUTH_CONNECT_V4,
                            FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT, FWP_ACTION_BLOCK)

- ``FWPM_LAYER_*``, ``FWPM_SUBLAYER_*``, ``FWPM_CONDITION_*``, ``FWPM_CALLOUT_*``,
  ``FWPM_PROVIDER_*``: GUIDs (:class:`uuid.UUID`);
- ``FWPS_LAYER_*``: run-time layer ids; ``FWPS_FIELD_<LAYER>_*``: field indexes;
- ``FWP_ACTION_*``, ``FWP_MATCH_*``, ``FWP_*`` data types, ``FWPM_FILTER_FLAG_*``,
  ``FWPS_RIGHT_ACTION_WRITE``, ``FWPS_CLASSIFY_OUT_FLAG_*``, ``FWP_CONDITION_FLAG_*``,
  ``FWPS_METADATA_FIELD_*`` and the ``FWPS_IS_METADATA_FIELD_PRESENT`` macro…

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

from typing import Any

from wfpsim.callouts import METADATA_FIELDS
from wfpsim.catalog import layers, named_guids
from wfpsim.conditions import MatchType
from wfpsim.objects import Action, FilterFlag
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
FWPM_WEIGHT_RANGE_MAX = 15
FWPM_AUTO_WEIGHT_BITS = 60

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
}


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
    out.update({f"FWPS_METADATA_FIELD_{n}": bit for n, bit in METADATA_FIELDS.items()})
    return out


globals().update(all_names())


def __getattr__(name: str) -> Any:  # pragma: no cover - only reached for unknown names
    raise AttributeError(
        f"wfpsim.ids has no identifier {name!r}; see `wfpsim layer NAME` for field names"
    )
