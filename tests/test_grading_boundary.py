"""The judge's boundary: the checks and the engine run in a process the student's code never ran
in, so nothing a graded file does in its own process changes its verdict."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from wfpsim.exercise import check, exercises, get, isolation, processes

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"

#: Lines that would make every check pass if the checks ran in the student's process: the
#: checker's verdict made a no-op, the fingerprint that would notice silenced, the engine's
#: answers forged.
TAMPERING = """
import wfpsim.exercise
import wfpsim.exercise.checking
import wfpsim.exercise.child
from wfpsim import Engine
from wfpsim.stack import Stack

def _nothing(*args, **kwargs):
    return None

wfpsim.exercise.expect = wfpsim.exercise.checking.expect = _nothing
wfpsim.exercise.expect_no_faults = wfpsim.exercise.checking.expect_no_faults = _nothing
wfpsim.exercise.child.Fingerprint.changed = lambda self: ""
_classify = Engine.classify
Engine.is_registered = lambda self, ref: True
_run = Stack.run
Stack.run = lambda self, *args, **kwargs: _run(self, *args, **kwargs)
"""


def stub_with(exercise_id: str, extra: str, tmp_path: Path) -> Path:
    """The untouched stub of an exercise with ``extra`` lines at its end."""
    path = tmp_path / f"{exercise_id}_student.py"
    path.write_text(get(exercise_id, EXERCISES).student_path.read_text() + extra)
    return path


@pytest.mark.parametrize("exercise_id", ["ex01", "ex06", "ex10", "ex18"])
def test_tampering_in_the_students_process_scores_zero(tmp_path: Path, exercise_id: str) -> None:
    """A stub that disables the checker and the fingerprint in its own process still scores 0
    (a policy exercise and two callout exercises), with hidden checks too."""
    report = check(
        exercise_id,
        hidden=True,
        root=EXERCISES,
        student_file=stub_with(exercise_id, TAMPERING, tmp_path),
        timeout=60,
    )
    assert report.points[0] == 0, report
    assert not report.passed


def test_the_judge_never_runs_the_students_file(tmp_path: Path) -> None:
    """Every line of a graded callout runs in the student's process, none in the judge's: the
    file records the process it runs in, at import and in its classifyFn."""
    marks = tmp_path / "pids.txt"
    source = get("ex06", EXERCISES).solution_path.read_text()
    record = (
        "\nimport os as _os\n\n"
        f"def _mark(where):\n    with open({str(marks)!r}, 'a') as f:\n"
        "        f.write(f'{where} {_os.getpid()}\\n')\n\n"
        "_mark('import')\n_counter = count_connections\n\n"
        "def count_connections(*args):\n    _mark('classify')\n    return _counter(*args)\n"
    )
    path = tmp_path / "student.py"
    path.write_text(source + record)
    report = check("ex06", hidden=True, root=EXERCISES, student_file=path, timeout=60)
    assert report.passed, report
    lines = [line.split() for line in marks.read_text().splitlines()]
    assert {where for where, _ in lines} == {"import", "classify"}
    pids = {int(pid) for _, pid in lines}
    assert pids == {processes.last_run["student"]}
    assert processes.last_run["judge"] not in pids


#: A policy exercise's add_policy that tries to reach the judge through the engine proxy; each
#: attempt that is refused is written down.
ESCAPES = """
def add_policy(engine):
    tries = {
        "private attribute": lambda: engine._bfe,
        "replace a method": lambda: setattr(engine, "classify", lambda *a, **k: None),
        "dunder": lambda: engine.__dict__,
        "kernel function by a lower-case name": lambda: _raw("wfpsim.kernel", "current_kernel"),
        "the exercise runner": lambda: _raw("wfpsim.exercise.checking", "Expect"),
        "the command line": lambda: _raw("wfpsim.__main__", "Main"),
    }
    with open(MARKS, "w") as f:
        for name, attempt in tries.items():
            try:
                attempt()
                f.write(f"allowed {name}\\n")
            except Exception as err:
                f.write(f"refused {name}: {type(err).__name__}\\n")


def _raw(module, name):
    import gc

    from wfpsim.exercise.bridge import Channel

    channel = next(o for o in gc.get_objects() if isinstance(o, Channel))  # this process's end
    return channel.request({"q": "api", "m": module, "n": name, "a": (), "k": {}}, ("a", "k"))

"""


def test_the_judge_serves_only_what_a_driver_may_do(tmp_path: Path) -> None:
    """Through its proxies a graded file cannot read private names, replace an engine method or
    call anything but the upper-case kernel API of the engine; it earns what an empty policy
    earns."""
    marks = tmp_path / "escapes.txt"
    path = tmp_path / "student.py"
    head = get("ex01", EXERCISES).student_path.read_text().split("def add_policy")[0]
    path.write_text(head + f"MARKS = {str(marks)!r}\n" + ESCAPES)
    report = check("ex01", root=EXERCISES, student_file=path, timeout=60)
    empty = tmp_path / "empty.py"
    empty.write_text(head + "def add_policy(engine):\n    pass\n")
    assert report.points == check("ex01", root=EXERCISES, student_file=empty).points
    lines = marks.read_text().splitlines()
    assert lines and all(line.startswith("refused") for line in lines), lines


def test_a_failing_callout_is_reported_at_its_own_line(tmp_path: Path) -> None:
    """An exception in the student's process is rebuilt in the judge with the student's frames:
    the feedback names the file's line and function, as it would in one process."""
    source = get("ex09", EXERCISES).solution_path.read_text()
    broken = source.replace(
        'return ".".join(str(b) for b in address.to_bytes(4, "big"))', "return 1 / 0"
    )
    assert broken != source
    path = tmp_path / "student.py"
    path.write_text(broken)
    report = check("ex09", root=EXERCISES, student_file=path, timeout=60)
    failed = {r.name: r.message for r in report.results if not r.passed}
    assert "format_address" in failed
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "return 1 / 0" in text)
    assert f"line {line}, in format_address" in failed["format_address"], failed


def test_unconverted_exercise_falls_back_to_one_process(tmp_path: Path) -> None:
    """An exercise whose checks say ``ISOLATION = "same-process"`` is checked in the student's
    process, guarded by the fingerprint: the solution passes, a tampering file scores 0."""
    root = tmp_path / "exercises"
    shutil.copytree(EXERCISES, root, ignore=shutil.ignore_patterns("__pycache__"))
    checks = get("ex03", root).checks_path
    checks.write_text(checks.read_text() + '\nISOLATION = "same-process"\n')
    assert isolation.listing(get("ex03", root), False).isolation == "same-process"
    assert check("ex03", solution=True, hidden=True, root=root).passed
    patch = "\nimport wfpsim.exercise.checking\n\nwfpsim.exercise.checking.expect = print\n"
    tampered = stub_with("ex03", patch, tmp_path)
    report = check("ex03", root=root, student_file=tampered, timeout=60)
    assert report.points[0] == 0
    assert "changed the checker" in report.problem


@pytest.mark.parametrize("exercise_id", [e.id for e in exercises(EXERCISES)])
def test_the_page_gives_the_judges_feedback(
    monkeypatch: pytest.MonkeyPatch, exercise_id: str
) -> None:
    """In the browser (one process, no judge) the untouched hand-out and the solution get word
    for word the feedback the judge gives (the solution's reveal included)."""
    judged = [check(exercise_id, root=EXERCISES), check(exercise_id, True, root=EXERCISES)]
    monkeypatch.setattr(sys, "platform", "emscripten")
    in_page = [check(exercise_id, root=EXERCISES), check(exercise_id, True, root=EXERCISES)]
    assert [str(r) for r in in_page] == [str(r) for r in judged]
    assert judged[1].passed
