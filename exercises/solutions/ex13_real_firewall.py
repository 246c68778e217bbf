"""Exercise 13 · reference solution.

* Sublayers are asked by weight: App Isolation (7), Service Hardening (3), Windows Firewall (2).
* In WSH the TCP permit for deviceenroller.exe has the higher effective weight, so it is asked
  before the block: Service Hardening's "allow TCP, block the rest" pattern.
* A weight range is the top four bits of the effective weight: 8 and 3.
* a. WSH permits (soft); Windows Firewall's private-profile "Default Outbound" permits again and
  is the last to write the decision. b. UDP misses the TCP permit and hits the block, which is
  hard. c. The loopback permit in App Isolation is soft (no CLEAR_ACTION_RIGHT), so WSH's block
  overrides it. d. On the public profile only the catch-all "Default Outbound" in range 3
  matches. e. A packaged application on the private profile meets the UWP default block (the
  real machine has capability permits for it that this excerpt leaves out).
"""

from __future__ import annotations

SUBLAYER_ORDER: list[str] | None = [
    "FWPM_SUBLAYER_MPSSVC_APP_ISOLATION",
    "FWPM_SUBLAYER_MPSSVC_WSH",
    "FWPM_SUBLAYER_MPSSVC_WF",
]

FIRST_IN_WSH: str | None = "Allow outbound TCP traffic from deviceenroller.exe [130828]"

RANGES: dict[str, int | None] = {
    "Default Outbound [130191]": 8,
    "Default Outbound [130215]": 3,
}

PREDICTIONS: dict[str, tuple[str | None, str | None]] = {
    "a": ("PERMIT", "Default Outbound [130191]"),
    "b": ("BLOCK", "Block outbound traffic from deviceenroller.exe [130826]"),
    "c": ("BLOCK", "Block all outbound traffic from SearchFilterHost [130876]"),
    "d": ("PERMIT", "Default Outbound [130215]"),
    "e": ("BLOCK", "UWP Default Outbound Block Rule [130236]"),
}
