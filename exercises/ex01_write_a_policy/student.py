"""Exercise 01 · Write filters for a stated policy.

The lab's outbound policy, for connections authorized at ``ALE_AUTH_CONNECT_V4``:

1. Nothing may reach the management network ``192.168.100.0/24`` — except DNS (remote port
   53, over UDP or TCP).
2. Telnet — **TCP** to remote port 23 — is blocked everywhere.
3. The application ``C:\\Lab\\legacy.exe`` may only connect to remote ports 8000–8999 (both
   included); any other connection it makes is blocked.

Each rule says what must be blocked; traffic that no rule blocks must get through. The rules
all apply at once: a connection that one rule blocks stays blocked whatever the others say.

Write :func:`add_policy`. Put every filter you add at ``ALE_AUTH_CONNECT_V4`` and in a
sublayer of your own called ``SUBLAYER`` (add it first). Notebook 03 has every tool you need:
match types (``EQUAL``, ``NOT_EQUAL``, ``RANGE``…), address masks (``"10.0.0.0/8"``), several
conditions on one field (OR) and on different fields (AND), ``ALE_APP_ID``.

Check your work: ``wfpsim exercise check ex01`` in a terminal, or the last cell of
``exercise.ipynb``.
"""

from __future__ import annotations

from wfpsim import Condition, Engine, Filter, Sublayer  # noqa: F401  (you will need them)

LAYER = "ALE_AUTH_CONNECT_V4"
SUBLAYER = "lab policy"
LEGACY_APP = r"C:\Lab\legacy.exe"


def add_policy(engine: Engine) -> None:
    """Add the sublayer ``SUBLAYER`` and the filters of the lab policy to ``engine``."""
    raise NotImplementedError("add the sublayer and the filters of the lab policy")
