"""Process tokens against ``ALE_USER_ID`` conditions: SDDL security descriptors and SIDs. Pure.

The stack hands a token over as its SIDs joined by commas, user first; an AppContainer
token adds its package SID and ``ALL APPLICATION PACKAGES`` (S-1-15-2-1). Every token holds
Everyone (S-1-1-0).

>>> sddl_grants("O:LSD:(A;;CC;;;AC)(A;;CC;;;WD)", "S-1-5-21-1,S-1-15-2-9-9,S-1-15-2-1")
True
>>> sddl_grants("O:LSD:(A;;CC;;;WD)", "S-1-5-21-1,S-1-15-2-9-9,S-1-15-2-1")
False
"""

from __future__ import annotations

import re

#: SDDL SID aliases wfpsim resolves: Everyone, ALL APPLICATION PACKAGES.
SDDL_ALIASES = {"WD": "S-1-1-0", "AC": "S-1-15-2-1"}
_ACE = re.compile(r"\((A|D);[^;]*;[^;]*;[^;]*;[^;]*;([^)]*)\)")


def sddl_grants(sddl: str, token: str) -> bool | None:
    """Whether an SDDL DACL grants access to a token (None: no ACE names any of its SIDs).

    A deny ACE naming a token SID denies. An AppContainer token passes only if the DACL grants
    both its user side and its AppContainer side (package SID, S-1-15-*): the two access
    checks Windows makes for AppContainer processes (*AppContainer isolation*).
    """
    sids = [s.strip().upper() for s in token.split(",") if s.strip()]
    app_side = [s for s in sids if s.startswith("S-1-15-")]
    user_side = [s for s in sids if not s.startswith("S-1-15-")] + ["S-1-1-0"]
    aces = [(kind, SDDL_ALIASES.get(t.upper(), t.upper())) for kind, t in _ACE.findall(sddl)]

    def check(group: list[str]) -> bool | None:
        verdict: bool | None = None
        for kind, trustee in aces:
            if trustee in group:
                if kind == "D":
                    return False
                verdict = True
        return verdict

    user = check(user_side)
    if not app_side or user is False:
        return user
    app = check(app_side)
    if app is None:
        return False if user else None
    return bool(user) and app


def token_matches(condition: str, token: str) -> bool | None:
    """An ``ALE_USER_ID`` condition (SDDL, or a bare SID) against a token; None when this is
    a plain string comparison (a one-SID token against a SID)."""
    if condition.upper().startswith(("D:", "O:", "G:")):
        return bool(sddl_grants(condition, token))
    if "," in token:  # several SIDs (an AppContainer's): a bare SID names one of them
        return condition.upper() in (s.strip().upper() for s in token.split(","))
    return None


__all__ = ["SDDL_ALIASES", "sddl_grants", "token_matches"]
