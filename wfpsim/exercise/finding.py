"""Finding exercises: the ``exercises/`` folder, each ``exNN_<slug>/`` and its metadata.

Where ``exercises/`` is found (first match): the ``root`` argument (``--root``: the folder itself
or a folder holding it); ``$WFPSIM_EXERCISES``; the current directory or one of its parents;
the repository this package is installed from (editable install).

>>> [e.id for e in exercises()][:2]
['ex01', 'ex02']
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfpsim.checking import check_keys
from wfpsim.errors import InvalidParameterError, NotFoundError

ENV_ROOT = "WFPSIM_EXERCISES"
FOLDER = re.compile(r"^(ex\d\d)_[a-z0-9_]+$")
META_KEYS = {"title", "kind", "topics", "follows", "summary"}


@dataclass(frozen=True, slots=True)
class Exercise:
    """One exercise folder and its metadata (``exercise.toml``)."""

    id: str
    title: str
    kind: str
    topics: tuple[str, ...]
    follows: str
    summary: str
    folder: Path

    @property
    def student_path(self) -> Path:
        """The student's file."""
        return self.folder / "student.py"

    @property
    def checks_path(self) -> Path:
        """The public checks."""
        return self.folder / "checks.py"

    @property
    def solution_path(self) -> Path:
        """The reference solution (absent from a hand-out)."""
        return self.folder.parent / "solutions" / f"{self.folder.name}.py"

    @property
    def hidden_path(self) -> Path:
        """The hidden checks (absent from a hand-out)."""
        return self.folder.parent / "hidden" / f"{self.id}.py"

    def to_json(self) -> dict[str, Any]:
        """The ``wfpsim exercise list --json`` entry."""
        return {
            "id": self.id,
            "title": self.title,
            "topics": list(self.topics),
            "kind": self.kind,
            "follows": self.follows,
        }


def _has_exercises(folder: Path) -> bool:
    return folder.is_dir() and any(
        FOLDER.match(p.name) and (p / "exercise.toml").is_file() for p in folder.iterdir()
    )


def find_root(root: str | Path | None = None) -> Path:
    """The ``exercises/`` folder (the search order is in the module docstring).

    Raises:
        NotFoundError: no exercises where it looked.
    """
    given = root if root is not None else os.environ.get(ENV_ROOT) or None
    here = Path.cwd()
    places = [Path(given).expanduser()] if given else [here, *here.parents]
    for folder in places:
        for candidate in (folder, folder / "exercises"):
            if _has_exercises(candidate):
                return candidate.resolve()
    repo = Path(__file__).resolve().parents[2] / "exercises"
    if not given and _has_exercises(repo):
        return repo
    where = f"in {given}" if given else f"in {here}, its parents or {repo.parent}"
    raise NotFoundError(
        f"no exercises {where}: expected exNN_<name>/exercise.toml folders there or in an "
        f"exercises/ folder inside; pass root= (--root) or set ${ENV_ROOT}"
    )


def _load_meta(folder: Path, ex_id: str) -> Exercise:
    path = folder / "exercise.toml"
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InvalidParameterError(f"{path}: not valid TOML: {err}") from None
    check_keys(meta, META_KEYS, str(path))
    missing = META_KEYS - {"summary"} - set(meta)
    if missing:
        raise InvalidParameterError(
            f"{path}: missing key(s) {', '.join(map(repr, sorted(missing)))}; an exercise.toml "
            f"has {', '.join(sorted(META_KEYS))} (summary is optional)"
        )
    topics = tuple(str(t) for t in meta["topics"])
    title, kind, follows = (str(meta[k]) for k in ("title", "kind", "follows"))
    return Exercise(ex_id, title, kind, topics, follows, str(meta.get("summary", "")), folder)


def exercises(root: str | Path | None = None) -> list[Exercise]:
    """Every exercise under the root, by id."""
    found = [(FOLDER.match(f.name), f) for f in sorted(find_root(root).iterdir())]
    return [_load_meta(f, m.group(1)) for m, f in found if m and (f / "exercise.toml").is_file()]


def get(exercise_id: str, root: str | Path | None = None) -> Exercise:
    """One exercise by id (``ex03``, ``3``, ``03`` or the folder name).

    Raises:
        InvalidParameterError: no exercise of that id.
    """
    text = str(exercise_id).strip().lower()
    text = f"ex{int(text):02d}" if text.isdigit() else text
    every = exercises(root)
    for ex in every:
        if text in (ex.id, ex.folder.name):
            return ex
    valid = ", ".join(e.id for e in every)
    raise InvalidParameterError(f"no exercise {exercise_id!r}; valid: {valid}")
