"""The analyst's questions about a policy, a layer above the engine: it reads, never decides.

* :func:`lint` — filters that never take effect (shadowed, redundant, overridden, or whose
  callout is not registered), each with the filters responsible and the reason;
* :func:`diff` — what changed between two policies (two dumps, or one machine before and after
  installing a VPN or an EDR), by object key;
* :mod:`wfpsim.analysis.coverage` — the set algebra both rest on: does one filter's traffic
  contain another's?

Everything here reads an :class:`~wfpsim.engine.Engine` through its public queries; the
engine never imports this package.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wfpsim.analysis.diff import PolicyDiff, diff
    from wfpsim.analysis.lint import Finding, lint

__all__ = ["Finding", "PolicyDiff", "diff", "lint"]

#: Where each name lives: imported on first use (PEP 562), so the ``wfpsim`` command's table
#: (:mod:`wfpsim.analysis.commands`) loads neither the engine nor the analyses.
_HOME = {
    "Finding": "wfpsim.analysis.lint",
    "lint": "wfpsim.analysis.lint",
    "PolicyDiff": "wfpsim.analysis.diff",
    "diff": "wfpsim.analysis.diff",
}


def __getattr__(name: str) -> object:
    """Import a name's module when the name is first used."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'wfpsim.analysis' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
