"""Exercise 13 · Read a real firewall's filters.

``excerpt.toml`` (next to this file; where it comes from: ``PROVENANCE.md``) holds eight
filters a real Windows 11 machine had at ``ALE_AUTH_CONNECT_V4``, in three of Windows' built-in
sublayers. Read it — as TOML, or in the notebook's tables — and answer:

``SUBLAYER_ORDER``
    The three sublayers of the excerpt, in the order arbitration asks them.
``FIRST_IN_WSH``
    The name of the first filter asked in ``FWPM_SUBLAYER_MPSSVC_WSH``.
``RANGES``
    The weight range (0–15) each of the two "Default Outbound" filters falls in.
``PREDICTIONS``
    For each connection below, ``(action, filter)``: the action ``classify`` returns at this
    layer with only these eight filters, and the name of the filter that decided. The machine
    is on its private network (profile 2) unless the case says otherwise; applications are
    given by their device path, as Windows writes them (``\\device\\harddiskvolume3\\...``).

    a. ``...\\system32\\deviceenroller.exe``, TCP to ``203.0.113.10:443``.
    b. ``...\\system32\\deviceenroller.exe``, UDP to ``203.0.113.10:53``.
    c. ``...\\system32\\searchfilterhost.exe``, TCP to ``127.0.0.1:8080`` — a loopback
       connection: ``FLAGS`` has ``FWP_CONDITION_FLAG_IS_LOOPBACK`` (0x1).
    d. ``...\\system32\\notepad.exe`` (a desktop application: no package id), TCP to
       ``203.0.113.10:443``, on a **public** network (profile 1).
    e. a packaged (UWP) application — ``ALE_PACKAGE_ID`` ``S-1-15-2-1`` — TCP to
       ``203.0.113.10:443``.

The public checks grade the order, the ranges and the actions; your instructor's checks also
grade the deciding filters.
"""

from __future__ import annotations

SUBLAYER_ORDER: list[str] | None = None

FIRST_IN_WSH: str | None = None

RANGES: dict[str, int | None] = {
    "Default Outbound [130191]": None,
    "Default Outbound [130215]": None,
}

PREDICTIONS: dict[str, tuple[str | None, str | None]] = {
    "a": (None, None),
    "b": (None, None),
    "c": (None, None),
    "d": (None, None),
    "e": (None, None),
}
