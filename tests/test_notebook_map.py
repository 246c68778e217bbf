"""notebooks/README.md maps every notebook to the exercises that follow it, as the exercises say."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## After each notebook: the exercises"


def readme_map() -> dict[str, set[str]]:
    text = (ROOT / "notebooks" / "README.md").read_text(encoding="utf-8")
    assert HEADING in text, f"notebooks/README.md lost its section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    out: dict[str, set[str]] = {}
    for number, cell in re.findall(r"^\| (\d\d) \| (.+) \|$", section, flags=re.M):
        out[number] = set(re.findall(r"\bex\d\d\b", cell))
    return out


def exercise_map() -> dict[str, set[str]]:
    listing = subprocess.run(
        [sys.executable, "-m", "wfpsim", "exercise", "list", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    out: dict[str, set[str]] = {}
    for ex in json.loads(listing.stdout):
        out.setdefault(ex["follows"][:2], set()).add(ex["id"])
    return out


def test_notebook_to_exercise_map_matches_the_exercises() -> None:
    """Each exercise is listed after the notebook its metadata says it follows, and only there."""
    assert readme_map() == exercise_map(), (
        "notebooks/README.md's table 'After each notebook: the exercises' disagrees with "
        "`wfpsim exercise list --json` (the 'follows' key): update the table"
    )


def test_exercises_readme_links_the_map() -> None:
    """Students reading exercises/README.md find the map."""
    text = (ROOT / "exercises" / "README.md").read_text(encoding="utf-8")
    assert "notebooks/README.md" in text
