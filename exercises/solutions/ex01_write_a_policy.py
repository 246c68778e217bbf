"""Exercise 01 · reference solution.

One BLOCK filter per rule; nothing else is needed, because traffic no filter matches passes.

* Rule 1 is one filter: the address mask AND the port ``NOT_EQUAL`` 53 (different fields are
  AND'ed). Two filters — a permit for DNS above a block for the network — work too, but need
  weights to order them (notebook 04).
* Rule 2 tests the protocol as well: UDP to port 23 is not telnet.
* Rule 3 uses two ``RANGE`` conditions on the *same* field, which are OR'ed: the port is below
  8000 or above 8999.
"""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter, Sublayer

LAYER = "ALE_AUTH_CONNECT_V4"
SUBLAYER = "lab policy"
LEGACY_APP = r"C:\Lab\legacy.exe"


def add_policy(engine: Engine) -> None:
    """Add the sublayer ``SUBLAYER`` and the filters of the lab policy to ``engine``."""
    engine.add_sublayer(Sublayer(SUBLAYER, weight=0x100))
    engine.add_filter(
        Filter(
            "management network: DNS only",
            LAYER,
            "BLOCK",
            [
                Condition("IP_REMOTE_ADDRESS", "EQUAL", "192.168.100.0/24"),
                Condition("IP_REMOTE_PORT", "NOT_EQUAL", 53),
            ],
            sublayer=SUBLAYER,
        )
    )
    engine.add_filter(
        Filter(
            "no telnet",
            LAYER,
            "BLOCK",
            [Condition("IP_PROTOCOL", "EQUAL", 6), Condition("IP_REMOTE_PORT", "EQUAL", 23)],
            sublayer=SUBLAYER,
        )
    )
    engine.add_filter(
        Filter(
            "legacy app: ports 8000-8999 only",
            LAYER,
            "BLOCK",
            [
                Condition("ALE_APP_ID", "EQUAL", LEGACY_APP),
                Condition("IP_REMOTE_PORT", "RANGE", (0, 7999)),
                Condition("IP_REMOTE_PORT", "RANGE", (9000, 65535)),
            ],
            sublayer=SUBLAYER,
        )
    )
