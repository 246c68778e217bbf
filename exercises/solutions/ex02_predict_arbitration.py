"""Exercise 02 · reference solution (the engine's answers, with the reasons).

a. "allow browser" permits (soft); the antivirus's inspection callout writes BLOCK, which an
   inspection filter reads as CONTINUE, so nothing changes.
b. Two firewall filters match; "block test net" (range 5) is asked before "allow browser"
   (range 2): a static block, hard.
c. "vpn server" is a hard permit (CLEAR_ACTION_RIGHT): the firewall's static block cannot
   override it, and a static filter never vetoes.
d. The same hard permit, but the compliance callout writes BLOCK without the write right: a veto.
e. Only the inspection filter matches: it never decides, so the action is NONE (which passes).
f. "allow browser" (range 2) is asked before "block telnet" (range 1) and ends the sublayer.
g. The compliance callout holds the write right here: an ordinary (soft) callout block.
"""

from __future__ import annotations

Prediction = tuple[str | None, str | None]

PREDICTIONS: dict[str, Prediction] = {
    "a": ("PERMIT", "allow browser"),
    "b": ("BLOCK", "block test net"),
    "c": ("PERMIT", "vpn server"),
    "d": ("BLOCK", "quarantined app"),
    "e": ("NONE", None),
    "f": ("PERMIT", "allow browser"),
    "g": ("BLOCK", "quarantined app"),
}

VETOES: set[str] | None = {"d"}
