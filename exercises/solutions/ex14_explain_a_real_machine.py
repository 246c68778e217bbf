"""Exercise 14 · reference solution.

Found with the tools of notebook 12 on the dump (``engine, _ = load_netsh("wfpstate.xml")``):

* a. ``explain_flow(engine, "udp", "outbound", "10.0.0.5:0", "203.0.113.10:53", app=...)``:
  Service Hardening's "Allow outbound TCP traffic from deviceenroller.exe" [68007] needs
  ``IP_PROTOCOL == 6``, so UDP falls to "Block outbound traffic from deviceenroller.exe" [68005]
  at ``ALE_AUTH_CONNECT_V4`` — a hard block: BLOCK.
* b. Over TCP both filters match; the permit [68007] has the higher effective weight in
  ``FWPM_SUBLAYER_MPSSVC_WSH``, is asked first and ends the sublayer with a permit: PERMIT at
  ``ALE_AUTH_CONNECT_V4`` by 68007 — which is also the answer to ``PREEMPTED_BY``.
* c. "Cast to Device streaming server hardening rules for RTSP" [68119] permits port 23554 at
  ``ALE_AUTH_RECV_ACCEPT_V4``.
* d. No filter of this dump matches port 8080 for mdeserver.exe (its rules name three ports, and
  the WSH default inbound block applies to the listed services' SIDs only): no filter decides at
  any layer, the connection passes — PERMIT, ``None``, ``None``.
* e. A packaged application on the private profile: "InternetClient Default Rule" needs the
  public profile (``ORIGINAL_PROFILE_ID == 1``), so "UWP Default Outbound Block Rule" [67981]
  blocks it at ``ALE_AUTH_CONNECT_V4``.
* ``lint(engine)`` lists four shadowed filters: in ``FWPM_SUBLAYER_MPSSVC_APP_ISOLATION`` the
  soft loopback permit "AppContainerLoopback" (66877 for IPv4, 66878 for IPv6) has the highest
  weight there is and matches every loopback connection, so the two loopback blocks below it at
  each layer (66879 and 66883; 66880 and 66884), which need the loopback flag too, are never
  reached. The two "AppContainerBoottimeFilter" findings at ``ALE_AUTH_RECV_ACCEPT`` are
  redundant (same action), not shadowed.
"""

from __future__ import annotations

PACKAGE = "S-1-15-2-2967553933-3217682302-1494388624-1520441230-1286441420-3166565081-2547287883"

VERDICTS: dict[str, tuple[str | None, str | None, int | None]] = {
    "a": ("BLOCK", "ALE_AUTH_CONNECT_V4", 68005),
    "b": ("PERMIT", "ALE_AUTH_CONNECT_V4", 68007),
    "c": ("PERMIT", "ALE_AUTH_RECV_ACCEPT_V4", 68119),
    "d": ("PERMIT", None, None),
    "e": ("BLOCK", "ALE_AUTH_CONNECT_V4", 67981),
}

PREEMPTED_BY: int | None = 68007

SHADOWED: dict[int, int] | None = {66879: 66877, 66883: 66877, 66880: 66878, 66884: 66878}
