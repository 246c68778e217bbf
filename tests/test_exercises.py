"""The exercises: every solution passes every check, every untouched stub fails, the CLI works."""

import functools
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from wfpsim.errors import InvalidParameterError, NotFoundError
from wfpsim.exercise import (
    CheckReport,
    Exercise,
    check,
    exercise_command,
    exercises,
    find_root,
    get,
    student,
)

ROOT = Path(__file__).resolve().parent.parent
#: numbers held this round for exercises still being written (ex17: the stream exercise)
RESERVED = {17}
EXERCISES = exercises(ROOT / "exercises")
IDS = [e.id for e in EXERCISES]


def by_id(exercise_id: str) -> Exercise:
    return next(e for e in EXERCISES if e.id == exercise_id)


def test_at_least_twelve_exercises_of_several_kinds() -> None:
    """The series has at least twelve exercises, of at least six kinds, numbered in order."""
    assert len(EXERCISES) >= 12
    assert len({e.kind for e in EXERCISES}) >= 6
    numbers = range(1, int(IDS[-1][2:]) + 1)
    assert [f"ex{i:02d}" for i in numbers if f"ex{i:02d}" in IDS or i not in RESERVED] == IDS


@pytest.mark.parametrize("exercise_id", IDS)
def test_exercise_files_are_complete(exercise_id: str) -> None:
    """Each exercise has its student file, checks, notebook, solution and hidden checks, and
    follows a tutorial that exists."""
    ex = by_id(exercise_id)
    for path in (ex.student_path, ex.checks_path, ex.folder / "exercise.ipynb"):
        assert path.is_file(), path
    assert ex.solution_path.is_file() and ex.hidden_path.is_file()
    assert (ROOT / "notebooks" / f"{ex.follows}.ipynb").is_file(), ex.follows
    assert ex.title and ex.topics
    meta = tomllib.loads((ex.folder / "exercise.toml").read_text())
    assert set(meta) <= {"title", "kind", "topics", "follows", "summary"}


@functools.cache
def solved(exercise_id: str) -> CheckReport:
    """The reference solution, checked once with the hidden checks (each run is a process)."""
    return check(exercise_id, solution=True, hidden=True, root=ROOT)


@functools.cache
def untouched(exercise_id: str) -> CheckReport:
    """The stub as handed out, checked once with the hidden checks."""
    return check(exercise_id, hidden=True, root=ROOT)


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_passes_public_and_hidden_checks(exercise_id: str) -> None:
    """The reference solution passes every public and every hidden check: full points."""
    report = solved(exercise_id)
    failed = [f"{r.name}: {r.message}" for r in report.results if not r.passed]
    assert report.passed, failed
    assert report.points[0] == report.points[1] > 0
    assert any(r.hidden for r in report.results), "no hidden check ran"
    assert any(not r.hidden for r in report.results), "no public check ran"


@pytest.mark.parametrize("exercise_id", IDS)
def test_untouched_stub_fails_public_checks(exercise_id: str) -> None:
    """The student file as handed out fails the public checks, with one-line feedback."""
    report = untouched(exercise_id).public_only()
    assert not report.passed
    failures = [r for r in report.results if not r.passed]
    assert failures
    for r in failures:
        assert r.message and "Traceback" not in r.message, r


@pytest.mark.parametrize("exercise_id", IDS)
def test_untouched_stub_scores_zero_with_hidden_checks(exercise_id: str) -> None:
    """With the hidden checks added, the untouched stub earns no point at all."""
    report = untouched(exercise_id)
    assert report.points == (0, report.points[1]), [r.name for r in report.results if r.passed]


def test_public_and_hidden_checks_are_distinct() -> None:
    """Hidden checks add cases: no hidden check repeats a public one's name."""
    for ex in EXERCISES:
        report = solved(ex.id)
        public = {r.name for r in report.results if not r.hidden}
        hidden = {r.name for r in report.results if r.hidden}
        assert not public & hidden, ex.id


def notebook(exercise_id: str) -> dict[str, object]:
    return json.loads((by_id(exercise_id).folder / "exercise.ipynb").read_text())  # type: ignore[no-any-return]


def source(cell: dict[str, object]) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else str(src)


@pytest.mark.parametrize("exercise_id", IDS)
def test_notebook_committed_clean_and_ends_with_the_check(exercise_id: str) -> None:
    """No outputs committed, more prose than code, no helper functions, and the check comes
    last — any cell after it reveals only once the check has passed."""
    cells = notebook(exercise_id)["cells"]
    assert isinstance(cells, list)
    code = [c for c in cells if c["cell_type"] == "code"]
    for c in code:
        assert c.get("outputs") == [] and c.get("execution_count") is None
        assert "def " not in source(c) and "class " not in source(c)
    assert len(cells) - len(code) > len(code)
    calls = [i for i, c in enumerate(code) if f'check("{exercise_id}")' in source(c)]
    assert calls, "no cell runs the check"
    for c in code[calls[-1] + 1 :]:
        assert "report.passed" in source(c)


def run_notebook(folder: Path) -> list[dict[str, object]]:
    """Execute a notebook in its folder; the outputs of its code cells, errors included."""
    if os.environ.get("CI"):
        import nbclient
        import nbformat
    else:
        nbclient = pytest.importorskip("nbclient")
        nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(folder / "exercise.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    )
    client.execute()
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.parametrize("exercise_id", IDS)
def test_notebook_runs_with_the_untouched_stub(exercise_id: str) -> None:
    """The notebook executes top to bottom without an error while student.py is a stub."""
    outputs = run_notebook(by_id(exercise_id).folder)
    assert not [o for o in outputs if o["output_type"] == "error"]
    shown = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)  # type: ignore[union-attr]
    assert "checks passed" in shown


def test_solved_notebook_reveals_with_the_player(tmp_path: Path) -> None:
    """With every prediction right, ex02's notebook shows the arbitration picture and the player."""
    if not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed")
    pytest.importorskip("anywidget")
    copy = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", copy)
    folder = copy / by_id("ex02").folder.name
    shutil.copy(copy / "solutions" / f"{folder.name}.py", folder / "student.py")
    outputs = run_notebook(folder)
    assert not [o for o in outputs if o["output_type"] == "error"]
    kinds = {k for o in outputs for k in o.get("data", {})}  # type: ignore[attr-defined]
    assert "image/svg+xml" in kinds
    assert "application/vnd.jupyter.widget-view+json" in kinds


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim exercise list --json` prints id, title and topics for every exercise."""
    assert exercise_command(["list", "--json", "--root", str(ROOT)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in doc] == IDS
    for d in doc:
        assert {"id", "title", "topics"} <= set(d) and isinstance(d["topics"], list)


def test_list_text(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json, a table of ids, kinds, titles and topics."""
    assert exercise_command(["list", "--root", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "ex01" in out and by_id("ex13").title in out


def test_check_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """check exits 1 for the stub, 0 for the solution, 2 for an unknown id."""
    root = ["--root", str(ROOT)]
    assert exercise_command(["check", "ex03", *root]) == 1
    assert "[FAIL]" in capsys.readouterr().out
    assert exercise_command(["check", "ex03", "--solution", *root]) == 0
    assert exercise_command(["check", "ex03", "--solution", "--hidden", *root]) == 0
    assert exercise_command(["check", "ex99", *root]) == 2
    assert "ex99" in capsys.readouterr().err


def test_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    """--json gives a document a grading script can read."""
    assert exercise_command(["check", "ex04", "--solution", "--hidden", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["id"] == "ex04" and doc["passed"] is True
    assert doc["score"][0] == doc["score"][1] == len(doc["results"])
    assert any(r["hidden"] for r in doc["results"])


def test_check_a_collected_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--file grades a submission kept anywhere (here: a copy of the solution)."""
    submission = tmp_path / "alice_ex09.py"
    shutil.copy(by_id("ex09").solution_path, submission)
    assert exercise_command(["check", "ex09", "--hidden", "--file", str(submission)]) == 0
    assert str(submission) in capsys.readouterr().out


def test_module_runs_as_a_command_from_anywhere(tmp_path: Path) -> None:
    """`python -m wfpsim.exercise` finds the repository's exercises from another directory."""
    out = subprocess.run(
        [sys.executable, "-m", "wfpsim.exercise", "check", "ex01", "--solution"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "WFPSIM_EXERCISES": ""},
    )
    assert out.returncode == 0, out.stderr
    assert "5 of 5 checks passed" in out.stdout


def test_root_found_from_an_exercise_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    """From inside an exercise's folder (a notebook's working directory) the root is found."""
    monkeypatch.delenv("WFPSIM_EXERCISES", raising=False)
    monkeypatch.chdir(by_id("ex02").folder)
    assert find_root() == (ROOT / "exercises").resolve()
    assert get("2").id == "ex02" and get("ex02_predict_arbitration").id == "ex02"


def test_a_handout_has_no_solutions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-out without solutions/ and hidden/ checks students; --solution says why not."""
    handout = tmp_path / "exercises"
    shutil.copytree(
        ROOT / "exercises", handout, ignore=shutil.ignore_patterns("solutions", "hidden")
    )
    assert exercise_command(["check", "ex01", "--root", str(tmp_path)]) == 1
    assert exercise_command(["check", "ex01", "--solution", "--root", str(handout)]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(NotFoundError, match="hidden"):
        check("ex01", hidden=True, root=handout)


def test_student_mistakes_never_raise(tmp_path: Path) -> None:
    """A file that does not compile, or raises on import, is one failure with a clear message."""
    broken = tmp_path / "broken.py"
    broken.write_text("def add_policy(engine):\n    return (\n")
    report = check("ex01", root=ROOT, student_file=broken)
    assert not report.passed and "does not compile" in report.results[0].message
    broken.write_text("raise ValueError('oops')\n")
    report = check("ex01", root=ROOT, student_file=broken)
    assert report.results[0].message.startswith("ValueError: oops")


def test_a_missing_function_is_reported(tmp_path: Path) -> None:
    """A student file without the function the checks call fails each check, without raising."""
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    report = check("ex06", root=ROOT, student_file=empty)
    assert not report.passed
    assert all("AttributeError" in r.message for r in report.results)


def test_unknown_id_and_missing_root(tmp_path: Path) -> None:
    """Bad ids name the valid ones; a folder without exercises is a clear error."""
    with pytest.raises(InvalidParameterError, match="ex01"):
        get("ex42", ROOT)
    with pytest.raises(NotFoundError, match="no exercises"):
        exercises(tmp_path)


def test_report_text_and_html() -> None:
    """The report reads as text and as escaped HTML, and reveals only on success."""
    stub = check("ex02", root=ROOT)
    assert isinstance(stub, CheckReport) and "no prediction yet" in str(stub)
    assert "What the engine did" not in str(stub)
    solved = check("ex02", solution=True, root=ROOT)
    assert "What the engine did" in str(solved)
    html = solved._repr_html_()
    assert html.startswith("<div>") and "<pre>" in html and "\\apps\\" in html


def test_student_reloads_the_file() -> None:
    """student() loads student.py afresh each time (edits are seen without a restart)."""
    first, second = student("ex02", ROOT), student("ex02", ROOT)
    assert first is not second and first.PREDICTIONS == second.PREDICTIONS


DUMP = ROOT.parent / "shared" / "data" / "wfp-dumps" / "python_pi_burner_wfpstate.xml"


@pytest.mark.skipif(not DUMP.is_file(), reason="the real dumps are not next to the checkout")
def test_ex13_excerpt_is_faithful_to_the_dump() -> None:
    """Each filter of ex13's excerpt is the dump's filter of that id: same name, sublayer, action,
    effective weight and conditions (read with wfpsim's netsh importer)."""
    from wfpsim.netsh import load_netsh
    from wfpsim.runner import build
    from wfpsim.scenario import load

    real, _ = load_netsh(DUMP)
    excerpt = build(load(by_id("ex13").folder / "excerpt.toml"))
    mine = excerpt.filters("ALE_AUTH_CONNECT_V4")
    assert len(mine) == 8
    for f in mine:
        name, filter_id = f.name.rsplit(" [", 1)
        theirs = real.filter(int(filter_id.rstrip("]")))
        assert theirs.name == name
        assert theirs.layer.short_name == "ALE_AUTH_CONNECT_V4"
        assert theirs.action_type == f.action_type
        assert theirs.effective_weight == f.effective_weight
        assert real.sublayer(theirs.sublayer).name == excerpt.sublayer(f.sublayer).name  # type: ignore[arg-type]
        assert [c.describe() for c in theirs.conditions] == [c.describe() for c in f.conditions]


def variant_of_solution(tmp_path: Path, exercise_id: str, old: str, new: str) -> Path:
    """The reference solution with one change: a wrong (or a differently right) answer."""
    text = by_id(exercise_id).solution_path.read_text()
    assert old in text, old
    path = tmp_path / f"{exercise_id}_variant.py"
    path.write_text(text.replace(old, new))
    return path


def failed(report: CheckReport) -> dict[str, str]:
    return {r.name: r.message for r in report.results if not r.passed}


def test_ex12_filter_type_is_caught_with_its_hint(tmp_path: Path) -> None:
    """ex12: an inspection filter cannot let the callout decide, a terminating filter blocks
    what the callout lets pass; each is named as a filter-type problem."""
    inspection = variant_of_solution(tmp_path, "ex12", '"CALLOUT_UNKNOWN"', '"CALLOUT_INSPECTION"')
    report = check("ex12", hidden=True, root=ROOT, student_file=inspection)
    assert "filter's type" in failed(report)["http_goes_to_the_proxy"]
    terminating = variant_of_solution(
        tmp_path, "ex12", '"CALLOUT_UNKNOWN"', '"CALLOUT_TERMINATING"'
    )
    report = check("ex12", root=ROOT, student_file=terminating)
    assert "filter's type" in failed(report)["other_ports_untouched"]


def test_ex12_question_is_graded_by_experiment(tmp_path: Path) -> None:
    """ex12: AUTH_CONNECT_SEES is right or wrong whatever the student's callout does."""
    stub = by_id("ex12").student_path.read_text()
    for answer, ok in (("proxy", True), ("original", False)):
        path = tmp_path / f"{answer}.py"
        path.write_text(
            stub.replace("AUTH_CONNECT_SEES: str | None = None", f"AUTH_CONNECT_SEES = {answer!r}")
        )
        report = check("ex12", root=ROOT, student_file=path)
        assert ("auth_connect_question" not in failed(report)) is ok


def test_ex06_answer_other_than_continue_is_caught(tmp_path: Path) -> None:
    """ex06: an inspection callout that answers PERMIT fails the CONTINUE check only."""
    path = variant_of_solution(
        tmp_path,
        "ex06",
        "classify_out.action_type = FWP_ACTION_CONTINUE",
        "classify_out.action_type = 0x1002",
    )
    report = check("ex06", hidden=True, root=ROOT, student_file=path)
    assert set(failed(report)) == {"answers_continue"}


def test_ex09_one_bug_fails_its_own_checks_at_its_own_line(tmp_path: Path) -> None:
    """ex09: a format_address that raises is reported in format_address, and the blocking
    checks still pass."""
    path = variant_of_solution(tmp_path, "ex09", 'to_bytes(4, "big")', 'to_bytes(3, "big")')
    report = check("ex09", hidden=True, root=ROOT, student_file=path)
    wrong = failed(report)
    assert "in format_address" in wrong["format_address"]
    assert "blocks_the_right_server" not in wrong and "blocks_only_that_server" not in wrong
    assert "port_from_header" not in wrong


def test_ex02_each_case_has_its_own_feedback(tmp_path: Path) -> None:
    """ex02: one wrong case fails only its own check, and the hint for case e does not state
    the answer."""
    solution = by_id("ex02").solution_path.read_text()
    line = next(x for x in solution.splitlines() if x.strip().startswith('"a": ('))
    action = line.split('"')[3]
    wrong = "BLOCK" if action != "BLOCK" else "PERMIT"
    path = variant_of_solution(tmp_path, "ex02", line, line.replace(f'"{action}"', f'"{wrong}"', 1))
    report = check("ex02", root=ROOT, student_file=path)
    assert set(failed(report)) == {"case_a"}
    hints = check("ex02", root=ROOT)  # the stub: every case fails with its own message
    assert len(failed(hints)) == 7
    from wfpsim.exercise import load_module

    public = load_module(by_id("ex02").checks_path, "ex02_hints")
    assert "none decided" not in public.HINTS["e"] and "NONE" not in public.HINTS["e"]


def test_exercise_toml_keys_are_checked_by_name(tmp_path: Path) -> None:
    """An unknown key and a missing key in exercise.toml are each named, with what is valid."""
    from wfpsim.exercise.finding import _load_meta

    (tmp_path / "exercise.toml").write_text(
        'title = "t"\nkind = "k"\ntopics = []\nfollows = "00_tour"\ntitel = "typo"\n'
    )
    with pytest.raises(InvalidParameterError, match=r"unknown key\(s\) 'titel'.*valid keys"):
        _load_meta(tmp_path, "ex99")
    (tmp_path / "exercise.toml").write_text('title = "t"\nkind = "k"\n')
    with pytest.raises(InvalidParameterError, match=r"missing key\(s\) 'follows', 'topics'"):
        _load_meta(tmp_path, "ex99")
