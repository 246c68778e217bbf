"""Exercise 07 · reference solution.

1. An inbound connection is authorized at ``ALE_AUTH_RECV_ACCEPT_V4``; it never crosses
   ``ALE_AUTH_CONNECT_V4``, which authorizes this host's *outgoing* connections. There the
   local port is this workstation's 3389, for TCP and UDP alike.
2. Only ALE layers know the application: ``OUTBOUND_TRANSPORT_V4`` has no ``ALE_APP_ID`` field
   (``FWP_E_CONDITION_NOT_FOUND``). ``ALE_AUTH_CONNECT_V4`` sees every outgoing connection —
   TCP, UDP and ICMP alike — with its application.
3. The IP-packet layers have no ports (``FWP_E_CONDITION_NOT_FOUND``). A block at
   ``OUTBOUND_TRANSPORT_V4`` would stop the SYN after it was built; only
   ``ALE_AUTH_CONNECT_V4`` fails ``connect()`` before any packet exists.
"""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter

UPDATER = r"C:\Program Files\Updater\updater.exe"


def add_policy(engine: Engine) -> None:
    """The workstation's three filters."""
    engine.add_filter(
        Filter(
            "no inbound RDP",
            "ALE_AUTH_RECV_ACCEPT_V4",
            "BLOCK",
            [Condition("IP_LOCAL_PORT", "EQUAL", 3389)],
        )
    )
    engine.add_filter(
        Filter(
            "updater offline",
            "ALE_AUTH_CONNECT_V4",
            "BLOCK",
            [Condition("ALE_APP_ID", "EQUAL", UPDATER)],
        )
    )
    engine.add_filter(
        Filter(
            "no SMB out",
            "ALE_AUTH_CONNECT_V4",
            "BLOCK",
            [Condition("IP_REMOTE_PORT", "EQUAL", 445)],
        )
    )
