"""Exercise 03 · Fix a permit that loses.

You maintain the backup agent ``C:\\Program Files\\Backup\\agent.exe``. It copies files to the
backup server ``10.20.0.50`` over SMB (TCP, remote port 445). The corporate firewall — another
team's product, in its own sublayer, see :func:`add_corporate_firewall` — blocks all outbound
SMB. Your product has its own sublayer, *above* the firewall's, with a permit for the backup
connection… and the backup still fails.

Fix :func:`add_backup_rules` so that:

1. the backup agent reaches ``10.20.0.50:445``;
2. nothing else changes: every other SMB connection — another server, another application —
   is still blocked by the corporate firewall's own filter;
3. you change only your own product: keep your filters in your sublayer ``SUBLAYER``, and do
   not touch the firewall (the checks build it themselves from their own copy of
   :func:`add_corporate_firewall`).

There is more than one thing wrong. The trace of the classification says, for every filter,
whether it matched and what it did: ``explain()`` and ``wfpsim.report.trace_table`` (notebook
04) are your tools.
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
                Condition("IP_LOCAL_PORT", "EQUAL", 445),
            ],
            sublayer=SUBLAYER,
        )
    )
