"""Write a notebook from a compact text form (used to author notebooks/; outputs empty).

Cells are separated by lines ``%% md`` or ``%% code``::

    python tools/nb.py outline.txt notebooks/01_bfe_objects.ipynb     # outline -> notebook
    python tools/nb.py --to-text notebooks/01_bfe_objects.ipynb outline.txt   # and back
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def cells_from_text(text: str) -> list[dict[str, object]]:
    """Split ``%% md`` / ``%% code`` sections into notebook cells."""
    cells: list[dict[str, object]] = []
    kind, lines = None, []  # type: ignore[var-annotated]
    for line in [*text.splitlines(), "%% end"]:
        if line.startswith("%% "):
            if kind is not None:
                source = "\n".join(lines).strip("\n")
                cell: dict[str, object] = {
                    "cell_type": "markdown" if kind == "md" else "code",
                    "metadata": {},
                    "source": source.splitlines(keepends=True),
                }
                if kind == "code":
                    cell.update(execution_count=None, outputs=[])
                cells.append(cell)
            kind, lines = line[3:].strip(), []
        else:
            lines.append(line)
    return cells


def main(src: str, dst: str) -> None:
    """Convert one source file."""
    nb = {
        "cells": cells_from_text(Path(src).read_text()),
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, cell in enumerate(nb["cells"]):  # type: ignore[arg-type]
        cell["id"] = f"c{i:02d}"
    Path(dst).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def to_text(src: str, dst: str) -> None:
    """Write a notebook's cells as an outline (outputs are dropped)."""
    nb = json.loads(Path(src).read_text())
    parts = []
    for cell in nb["cells"]:
        kind = "md" if cell["cell_type"] == "markdown" else "code"
        source = cell["source"]
        parts.append(f"%% {kind}\n" + ("".join(source) if isinstance(source, list) else source))
    Path(dst).write_text("\n".join(parts) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "--to-text":
        to_text(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2])
