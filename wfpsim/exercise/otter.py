"""Export to otter-grader 7: exception-based test files with the same points and hidden split.

``wfpsim exercise export-otter OUT_DIR`` writes, for each exercise, ``OUT_DIR/exNN/``:

- ``tests/exNN.py``: an otter exception-based test file (``OK_FORMAT = False``) with one
  ``test_case`` per check, its points and ``hidden`` flag as in ``checks.py``/``hidden/exNN.py``;
- ``exercises/``: the exercise folder and its hidden checks (no solution), which otter copies
  beside the submission as a support file;
- ``requirements.txt``: what the grading image needs (wfpsim: install it from this repository);
- ``README.md``: the two commands (``otter generate``, then ``otter grade`` or ``otter run``).

A submission is the student's ``student.py`` (any name ending ``.py``). Each test case runs
:func:`wfpsim.exercise.check` on that file once (cached for the file's other test cases), so the
student's code still runs in its own process and the verdicts are the ones ``wfpsim exercise
grade`` gives; otter adds its own isolation (one Docker container per submission) on top.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from wfpsim.errors import InvalidParameterError
from wfpsim.exercise.finding import Exercise
from wfpsim.exercise.isolation import listing

_HEAD = '''"""otter-grader test file for {id} ({title}), written by `wfpsim exercise export-otter`.

Every test case is one check of wfpsim's exercise {id}; the student's file runs once, in a
process of its own, through wfpsim.exercise.check (see wfpsim.exercise.otter).
"""

from pathlib import Path

from otter.test_files import test_case

OK_FORMAT = False

name = "{id}"
points = {points}

_report = []


def _result(check_name, hidden):
    if not _report:
        from wfpsim.exercise import check

        here = Path.cwd()
        files = sorted(p for p in here.glob("*.py") if p.name != "__init__.py")
        assert files, "no Python file in the submission"
        _report.append(
            check("{id}", hidden=True, root=here / "exercises", student_file=files[0])
        )
    for r in _report[0].results:
        if r.name == check_name and r.hidden == hidden:
            return r
    raise AssertionError(f"no check {{check_name}} in {id}")
'''

_CASE = '''

@test_case(name={name!r}, points={points}, hidden={hidden})
def test_{name}():
    """{description}"""
    r = _result({name!r}, {hidden})
    assert r.passed, r.message
'''

_README = """# {id}: otter-grader autograder

Written by `wfpsim exercise export-otter`. A submission is the student's `student.py`.

```bash
otter generate exercises            # tests/ and requirements.txt -> autograder.zip
otter run -a autograder.zip student.py          # one submission, no container
otter grade -a autograder.zip -p submissions/ --ext py   # a class, one Docker container each
```

The grading environment needs wfpsim: for Docker or Gradescope, build a wheel of the wfpsim
repository (`pip wheel --no-deps -w dist .`) and add it to `requirements.txt`.
"""


def export_otter(out_dir: str | Path, selected: list[Exercise]) -> list[Path]:
    """Write an otter-grader assignment folder per exercise into ``out_dir`` (module docstring).

    Raises:
        InvalidParameterError: ``out_dir`` exists and is not empty, or nothing selected.
        NotFoundError: an exercise has no hidden checks (the instructors' tree is needed).
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidParameterError(f"{out} exists and is not empty: export into a new folder")
    if not selected:
        raise InvalidParameterError("no exercise selected")
    written = []
    for ex in selected:
        found = listing(ex, hidden=True)
        folder = out / ex.id
        (folder / "tests").mkdir(parents=True)
        text = _HEAD.format(id=ex.id, title=ex.title, points=found.points)
        for c in found.checks:
            description = c.description.replace('"', "'").replace("\\", "/")
            text += _CASE.format(
                name=c.name, points=c.points, hidden=c.hidden, description=description
            )
        (folder / "tests" / f"{ex.id}.py").write_text(text, encoding="utf-8")
        support = folder / "exercises"
        shutil.copytree(
            ex.folder,
            support / ex.folder.name,
            ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
        )
        (support / "hidden").mkdir()
        shutil.copyfile(ex.hidden_path, support / "hidden" / ex.hidden_path.name)
        (folder / "requirements.txt").write_text(
            "# wfpsim: add a wheel of the wfpsim repository here for Docker or Gradescope\n",
            encoding="utf-8",
        )
        (folder / "README.md").write_text(_README.format(id=ex.id), encoding="utf-8")
        written.append(folder)
    return written
