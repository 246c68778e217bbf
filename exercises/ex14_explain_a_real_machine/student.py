"""Exercise 14 · Explain a real machine's verdicts; find the shadowed filters.

``wfpstate.xml`` (next to this file; where it comes from: ``PROVENANCE.md``) is a whole real
``netsh wfp show state`` dump: 200 filters of the Windows Firewall, Windows Service Hardening and
AppContainer isolation. Load it with ``wfpsim.netsh.load_netsh`` and answer with the analyst's
tools of notebook 12 — ``explain_flow``, ``explain_filter``, ``lint`` — or by reading the filters
yourself. Applications are given by their device path, as Windows writes them
(``\\device\\harddiskvolume3\\windows\\system32\\...``); this machine's address is ``10.0.0.5``.

``VERDICTS``
    For each connection below, ``(verdict, layer, filter_id)``:

    * ``verdict``: how the connection ends on this machine — ``"PERMIT"``, ``"BLOCK"``,
      ``"DROP"`` or ``"DEPENDS"``;
    * ``layer``: the layer that decided (``"ALE_AUTH_CONNECT_V4"``…): for a block, the layer that
      blocked it; for a permit, the authorizing ALE layer where a filter permitted it — or
      ``None`` when no filter decided anywhere;
    * ``filter_id``: the run-time id of the filter that decided there (an ``int``, as in event
      5157), or ``None`` when no filter decided.

    a. ``...\\system32\\deviceenroller.exe`` sends UDP from ``10.0.0.5`` to ``203.0.113.10:53``.
    b. ``...\\system32\\deviceenroller.exe`` connects over TCP to ``203.0.113.10:443``.
    c. ``203.0.113.9:50000`` connects over TCP to ``...\\system32\\mdeserver.exe`` listening on
       port 23554.
    d. ``203.0.113.9:50000`` connects over TCP to ``...\\system32\\mdeserver.exe`` listening on
       port 8080.
    e. a packaged (UWP) application, ``\\device\\harddiskvolume3\\program files\\windowsapps\\
       contoso.weather\\weather.exe`` with the package SID ``PACKAGE`` below, connects over TCP
       to ``203.0.113.10:443``.

``PREEMPTED_BY``
    In case b, the filter "Block outbound traffic from deviceenroller.exe" matches the connection
    too, yet it does not decide. The run-time id of the filter whose decision keeps it from
    deciding.

``SHADOWED``
    Every **shadowed** filter of the dump: a filter that never takes effect because a filter
    higher in its own sublayer matches all of its traffic and ends the sublayer first with another
    action. A dict ``{shadowed filter's id: id of the filter that shadows it}``. (A filter whose
    shadowing filter gives the *same* action is redundant, not shadowed: leave those out.)

The public checks grade the verdicts and layers, ``PREEMPTED_BY`` and the shadowed filters at
``ALE_AUTH_CONNECT_V4``; your instructor's checks also grade the deciding filters' ids and the
shadowed filters of the whole dump.
"""

from __future__ import annotations

#: The package SID of case e's application (an AppContainer SID).
PACKAGE = "S-1-15-2-2967553933-3217682302-1494388624-1520441230-1286441420-3166565081-2547287883"

VERDICTS: dict[str, tuple[str | None, str | None, int | None]] = {
    "a": (None, None, None),
    "b": (None, None, None),
    "c": (None, None, None),
    "d": (None, None, None),
    "e": (None, None, None),
}

PREEMPTED_BY: int | None = None

SHADOWED: dict[int, int] | None = None
