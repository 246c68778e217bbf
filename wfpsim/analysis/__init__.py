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

from wfpsim.analysis.diff import PolicyDiff, diff
from wfpsim.analysis.lint import Finding, lint

__all__ = ["Finding", "PolicyDiff", "diff", "lint"]
