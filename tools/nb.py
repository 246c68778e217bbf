"""Write a notebook from a compact text form (used to author notebooks/; outputs empty).

Cells are separated by lines ``%% md`` or ``%% code``::

    python tools/nb.py notebooks/src/01_bfe_objects.txt notebooks/01_bfe_objects.ipynb
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


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
