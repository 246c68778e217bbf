"""Exercise 05 · reference solution.

* The VPN permit needs ``CLEAR_ACTION_RIGHT``: a permit is soft by default, and the firewall's
  static block in the sublayer below would override it.
* The compliance filter is ``CALLOUT_UNKNOWN``: its callout may answer PERMIT, BLOCK or
  CONTINUE. An inspection filter reads every answer as CONTINUE (it can never block); a
  terminating filter must decide, and reads CONTINUE as BLOCK (every connection would fail).
* The callout writes BLOCK whether or not it holds the write right: without it, after a hard
  permit, that BLOCK is a **veto** — the one way a hard permit loses. With the right, it clears
  it so that its block is hard.
* A static filter never vetoes: without the write right its BLOCK is simply ignored.
"""

from __future__ import annotations

from typing import Any

from wfpsim import Callout, Condition, Engine, Filter, Sublayer
from wfpsim.ids import (
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
    engine.add_sublayer(Sublayer("VPN client", weight=0xF000))
    engine.add_filter(
        Filter(
            "vpn server",
            LAYER,
            "PERMIT",
            [
                Condition("IP_REMOTE_ADDRESS", "EQUAL", "198.51.100.10"),
                Condition("IP_REMOTE_PORT", "EQUAL", 443),
                Condition("IP_PROTOCOL", "EQUAL", 6),
            ],
            sublayer="VPN client",
            flags=["CLEAR_ACTION_RIGHT"],
        )
    )


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
    blob = in_fixed_values.incoming_value[FWPS_FIELD_ALE_AUTH_CONNECT_V4_ALE_APP_ID].value
    app = blob.byte_blob.decode("utf-16-le").rstrip("\0") if not blob.is_empty else ""
    if app in {path.lower() for path in QUARANTINED}:
        classify_out.action_type = FWP_ACTION_BLOCK
        classify_out.rights &= ~FWPS_RIGHT_ACTION_WRITE
    else:
        classify_out.action_type = FWP_ACTION_CONTINUE


def add_compliance(engine: Engine) -> None:
    """Part 2: the sublayer ``Compliance``, the callout, its registration and its filter."""
    engine.add_sublayer(Sublayer("Compliance", weight=0x1000))
    engine.add_callout(Callout(CALLOUT, LAYER))
    engine.register_callout(CALLOUT, compliance_classify)
    engine.add_filter(
        Filter("compliance", LAYER, "CALLOUT_UNKNOWN", callout=CALLOUT, sublayer="Compliance")
    )


STATIC_BLOCK_CAN_VETO: bool | None = False
