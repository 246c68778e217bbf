"""What students get: the exercise folders without solutions, hidden checks or the guide."""

from __future__ import annotations

import shutil
from pathlib import Path

from wfpsim.errors import InvalidParameterError
from wfpsim.exercise.finding import Exercise

#: Never part of a hand-out.
HELD_BACK = ("solutions", "hidden", "INSTRUCTORS.md", "__pycache__", ".ipynb_checkpoints")


def handout(out_dir: str | Path, selected: list[Exercise]) -> list[Path]:
    """Write the student's copy of ``selected`` into ``out_dir``; the folders written.

    ``out_dir`` becomes an exercises folder (``check`` and ``wfpsim exercise`` find it from
    inside): the students' ``README.md`` and one ``exNN_<slug>/`` per exercise.

    Raises:
        InvalidParameterError: ``out_dir`` exists and is not empty, or nothing selected.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidParameterError(f"{out} exists and is not empty: hand out into a new folder")
    if not selected:
        raise InvalidParameterError("no exercise selected")
    out.mkdir(parents=True, exist_ok=True)
    root = selected[0].folder.parent
    if (root / "README.md").is_file():
        shutil.copyfile(root / "README.md", out / "README.md")
    written = []
    for ex in selected:
        target = out / ex.folder.name
        shutil.copytree(ex.folder, target, ignore=shutil.ignore_patterns(*HELD_BACK))
        written.append(target)
    return written
