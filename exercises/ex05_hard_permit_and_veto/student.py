"""Exercise 05 · Hard permit versus veto.

Three products share ``ALE_AUTH_CONNECT_V4`` (see :func:`add_corporate_firewall`, which the
checks build from their own copy):

=====================  ========  =====================================================
sublayer               weight    what it does
=====================  ========  =====================================================
``VPN client``         0xF000    yours, part 1
``Corporate firewall`` 0x8000    statically blocks ``198.51.100.0/24``
``Compliance``         0x1000    yours, part 2
=====================  ========  =====================================================

Part 1. :func:`add_vpn_permit`: add the sublayer ``VPN client`` and a permit for connections to
the VPN server ``198.51.100.10`` on TCP port 443 (any application) that the firewall's block
**cannot** override. Only that: port 80 on the same server stays blocked by the firewall.

Part 2. :func:`compliance_classify` is a callout (notebook 05). For a connection by an
application in ``QUARANTINED`` it blocks — **even** when a higher sublayer hard-permitted the
connection — and when it blocks with the write right, it makes the block hard (clears
``FWPS_RIGHT_ACTION_WRITE``). Any other connection it leaves alone: it answers
``FWP_ACTION_CONTINUE``. Read the application from ``in_fixed_values`` by its
``FWPS_FIELD_ALE_AUTH_CONNECT_V4_ALE_APP_ID`` index: an ``FWP_BYTE_BLOB_TYPE`` holding the
lower-cased path as NUL-terminated UTF-16LE (``.value.byte_blob``).

:func:`add_compliance` adds the sublayer ``Compliance``, the callout ``CALLOUT`` at
``ALE_AUTH_CONNECT_V4``, registers :func:`compliance_classify`, and adds one filter *without
conditions* that invokes it. Choose the filter's action type with care: which one lets a callout
answer BLOCK for some connections and CONTINUE for the others?

Part 3. ``STATIC_BLOCK_CAN_VETO``: could a static BLOCK filter in the compliance sublayer have
done the same? ``True`` or ``False``.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter, Sublayer  # noqa: F401  (you will need them)
from wfpsim.ids import (  # noqa: F401  (you will need them)
    FWP_ACTION_BLOCK,
    FWP_ACTION_CONTINUE,
    FWPS_FIELD_ALE_AUTH_CONNECT_V4_ALE_APP_ID,
    FWPS_RIGHT_ACTION_WRITE,
)

LAYER = "ALE_AUTH_CONNECT_V4"
CALLOUT = "compliance check"
QUARANTINED = {r"C:\Tools\legacy-agent.exe", r"C:\Users\Public\unpatched.exe"}


def add_corporate_firewall(engine: Engine) -> None:
    """The corporate firewall (another team's product: leave it as it is)."""
    engine.add_sublayer(Sublayer("Corporate firewall", weight=0x8000))
    engine.add_filter(
        Filter(
            "block test net",
            LAYER,
            "BLOCK",
            [Condition("IP_REMOTE_ADDRESS", "EQUAL", "198.51.100.0/24")],
            sublayer="Corporate firewall",
        )
    )


def add_vpn_permit(engine: Engine) -> None:
    """Part 1: the sublayer ``VPN client`` and a permit the firewall cannot override."""
    raise NotImplementedError("add the VPN client's sublayer and its permit")


def compliance_classify(
    in_fixed_values: Any,
    in_meta_values: Any,
    layer_data: Any,
    classify_context: Any,
    filter: Any,
    flow_context: int,
    classify_out: Any,
) -> None:
    """Part 2: block quarantined applications (even after a hard permit); CONTINUE otherwise."""
    raise NotImplementedError("write the compliance callout")


def add_compliance(engine: Engine) -> None:
    """Part 2: the sublayer ``Compliance``, the callout, its registration and its filter."""
    raise NotImplementedError("add the sublayer, the callout and a filter that invokes it")


STATIC_BLOCK_CAN_VETO: bool | None = None
