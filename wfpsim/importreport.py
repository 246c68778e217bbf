"""What importing a dump did: every object counted, imported, inferred or skipped with a reason.

Nothing in a dump is lost without a word: for each kind (providers, sublayers, callouts, filters)
the report counts what the file holds and what the engine now has, and lists every skipped
object with its reason, so that an answer never silently rests on a partial policy.
:meth:`ImportReport.to_json` is what ``wfpsim import DUMP --json`` prints;
:meth:`ImportReport.summary_line` is the one line every command that reads a dump prints on
standard error when anything was skipped.

>>> report = ImportReport("wfpstate.xml", "show state")
>>> report.count("filters"); report.count("filters")
>>> report.imported("filters"); report.skip("filters", "odd", "no filterId")
>>> report.to_json()["filters"]
{'in_file': 2, 'imported': 1}
>>> report.summary_line()
'wfpstate.xml: 1 of 2 filters imported, 1 object skipped (see `wfpsim import wfpstate.xml`)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "ImportReport", "Skip"]

#: The kinds of object a dump holds, in report order.
KINDS = ("providers", "sublayers", "callouts", "filters")


@dataclass(frozen=True, slots=True)
class Skip:
    """One object of the dump that is not in the engine, and why."""

    kind: str
    name: str
    reason: str


@dataclass(slots=True)
class ImportReport:
    """Counts per kind (in the file, imported), inferred objects, skipped objects and why."""

    source: str
    kind: str = ""
    in_file: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    inferred: list[str] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)

    # recording ----------------------------------------------------------------------------
    def count(self, kind: str) -> None:
        """One more object of ``kind`` in the file."""
        self.in_file[kind] += 1

    def imported(self, kind: str) -> None:
        """One more object of ``kind`` in the engine (added, or already there: a built-in)."""
        self.done[kind] += 1

    def skip(self, kind: str, name: str, reason: str) -> None:
        """An object of the file that is not imported, with the reason."""
        self.skips.append(Skip(kind, name, reason))

    # the counts under their old names -----------------------------------------------------
    @property
    def providers(self) -> int:
        """Providers imported."""
        return self.done["providers"]

    @property
    def sublayers(self) -> int:
        """Sublayers imported."""
        return self.done["sublayers"]

    @property
    def callouts(self) -> int:
        """Callouts imported."""
        return self.done["callouts"]

    @property
    def filters(self) -> int:
        """Filters imported."""
        return self.done["filters"]

    @property
    def skipped(self) -> list[str]:
        """Each skip as one line: ``filter 'name' (id): reason``."""
        return [f"{s.kind.removesuffix('s')} {s.name}: {s.reason}" for s in self.skips]

    # reporting ----------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """Per kind ``{"in_file", "imported"}``, ``skipped: [{"kind", "name", "reason"}]``."""
        doc: dict[str, Any] = {"source": self.source, "dump": self.kind}
        for kind in KINDS:
            doc[kind] = {"in_file": self.in_file[kind], "imported": self.done[kind]}
        doc["skipped"] = [{"kind": s.kind, "name": s.name, "reason": s.reason} for s in self.skips]
        doc["inferred"] = list(self.inferred)
        return doc

    def summary_line(self) -> str:
        """One line when anything was skipped (empty otherwise)."""
        if not self.skips:
            return ""
        n = len(self.skips)
        return (
            f"{self.source}: {self.done['filters']} of {self.in_file['filters']} filters imported, "
            f"{n} object{'' if n == 1 else 's'} skipped (see `wfpsim import {self.source}`)"
        )

    def __str__(self) -> str:
        counts = ", ".join(f"{self.done[k]} of {self.in_file[k]} {k}" for k in KINDS)
        lines = [f"{self.source} ({self.kind}): imported {counts}"]
        if self.inferred:
            lines.append(f"inferred ({len(self.inferred)}): " + "; ".join(self.inferred[:5]))
        if self.skips:
            lines.append(f"skipped ({len(self.skips)}), by reason:")
            groups: dict[str, list[Skip]] = {}
            for s in self.skips:
                groups.setdefault(s.reason, []).append(s)
            for reason, group in groups.items():
                first = group[0]
                more = f" and {len(group) - 1} more" if len(group) > 1 else ""
                lines.append(f"  {first.kind.removesuffix('s')} {first.name}{more}: {reason}")
        return "\n".join(lines)
