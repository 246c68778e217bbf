"""Exercise 03 · reference solution.

Two bugs:

* the permit tested ``IP_LOCAL_PORT`` — the agent's own, ephemeral port (49152 and up) — so it
  never matched; SMB is the *remote* port;
* once it matches, a plain permit is **soft**: it leaves the write right set, and the firewall's
  static block in a lower sublayer overrides it. A sublayer's weight only decides who is asked
  first, not who wins. ``CLEAR_ACTION_RIGHT`` makes the permit hard, and a static block below
  can no longer change it (only a callout could, by veto).
"""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter, Sublayer

LAYER = "ALE_AUTH_CONNECT_V4"
SUBLAYER = "Backup agent"
BACKUP_APP = r"C:\Program Files\Backup\agent.exe"
BACKUP_SERVER = "10.20.0.50"


def add_corporate_firewall(engine: Engine) -> None:
    """The corporate firewall's policy (another team's product: leave it as it is)."""
    engine.add_sublayer(Sublayer("Corporate firewall", weight=0x8000))
    engine.add_filter(
        Filter(
            "no SMB out",
            LAYER,
            "BLOCK",
            [Condition("IP_REMOTE_PORT", "EQUAL", 445)],
            sublayer="Corporate firewall",
        )
    )


def add_backup_rules(engine: Engine) -> None:
    """Your product's sublayer and filters: the backup agent must reach its server."""
    engine.add_sublayer(Sublayer(SUBLAYER, weight=0x9000))
    engine.add_filter(
        Filter(
            "backup server",
            LAYER,
            "PERMIT",
            [
                Condition("ALE_APP_ID", "EQUAL", BACKUP_APP),
                Condition("IP_REMOTE_ADDRESS", "EQUAL", BACKUP_SERVER),
                Condition("IP_REMOTE_PORT", "EQUAL", 445),
            ],
            sublayer=SUBLAYER,
            flags=["CLEAR_ACTION_RIGHT"],
        )
    )
