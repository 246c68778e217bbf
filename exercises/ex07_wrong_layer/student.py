"""Exercise 07 · Fix filters in the wrong layer.

A colleague wrote this policy for a workstation. Each of the three filters is at a layer where
it cannot do its job — one is even refused by BFE. Keep what each filter means, and move it
to the right layer (changing the conditions only where the new layer needs it):

1. **No inbound RDP**: nobody may open a connection *to* this workstation's port 3389, over
   TCP or UDP. Outbound connections to other machines' port 3389 stay allowed.
2. **Updater offline**: ``C:\\Program Files\\Updater\\updater.exe`` may not reach the network at
   all; other applications are not affected.
3. **No SMB out**: outbound connections to remote port 445 fail in ``connect()`` itself —
   before any packet (not even the SYN) is built. Inbound SMB to this machine is not affected.

Notebooks 02 (which layer has which fields) and 06 (which layers a connection crosses, and
when) have what you need; ``wfpsim layer NAME`` in a terminal lists a layer's fields.
"""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter

UPDATER = r"C:\Program Files\Updater\updater.exe"


def add_policy(engine: Engine) -> None:
    """The workstation's three filters."""
    engine.add_filter(
        Filter(
            "no inbound RDP",
            "ALE_AUTH_CONNECT_V4",
            "BLOCK",
            [Condition("IP_LOCAL_PORT", "EQUAL", 3389)],
        )
    )
    engine.add_filter(
        Filter(
            "updater offline",
            "OUTBOUND_TRANSPORT_V4",
            "BLOCK",
            [Condition("ALE_APP_ID", "EQUAL", UPDATER)],
        )
    )
    engine.add_filter(
        Filter(
            "no SMB out",
            "OUTBOUND_IPPACKET_V4",
            "BLOCK",
            [Condition("IP_REMOTE_PORT", "EQUAL", 445)],
        )
    )
