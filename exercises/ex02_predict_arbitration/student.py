"""Exercise 02 · Predict an arbitration outcome.

``policy.toml`` (next to this file) is a laptop with four products, each in its own sublayer at
``ALE_AUTH_CONNECT_V4``: a VPN client, a firewall, an antivirus and a compliance agent. At the
end of the file are seven classifications, ``a`` to ``g``. Read the policy — not the engine's
answers! — and predict each one.

Fill in:

* ``PREDICTIONS[case] = (action, filter)``: the action ``classify`` returns — one of
  ``"PERMIT"``, ``"BLOCK"``, ``"NONE"`` (filters matched, none decided) or ``"NONE_NO_MATCH"``
  (no filter matched) — and the name of the filter that decided, or ``None`` when no filter did.
* ``VETOES``: the set of cases (e.g. ``{"x", "y"}``) whose outcome is a veto; ``set()`` if none.

The public checks grade the actions; your instructor's checks also grade the filters and
``VETOES``. When every check passes, the check shows you the engine's full trace of each case
— or run ``wfpsim run policy.toml`` in this folder.
"""

from __future__ import annotations

Prediction = tuple[str | None, str | None]

PREDICTIONS: dict[str, Prediction] = {
    "a": (None, None),
    "b": (None, None),
    "c": (None, None),
    "d": (None, None),
    "e": (None, None),
    "f": (None, None),
    "g": (None, None),
}

VETOES: set[str] | None = None
