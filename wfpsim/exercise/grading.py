"""Grading a class: one folder per student, every exercise checked apart, a CSV and feedback files.

``SUBMISSIONS_DIR/<student>/`` holds that student's copy of the handed-out exercises (the layout
:func:`wfpsim.exercise.handout.handout` writes; an extra ``exercises/`` level, as an LMS download
unzips, is fine). Each student's ``exNN_<slug>/student.py`` is checked by
:func:`wfpsim.exercise.isolation.run_checks`, up to ``jobs`` at a time, each in its own process.

The CSV has a header ``student``, one column per exercise (points earned) and ``total``, and one
row per student: the roster's students first, in roster order (a missing submission is a row of
zeros), then students found but not in the roster (flagged on stderr and in their feedback).
Rows are written as each student's grading finishes, so an interrupted run keeps what it graded;
at the end the file is rewritten in roster order.
"""

from __future__ import annotations

import csv
import html
import os
import re
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from wfpsim.errors import InvalidParameterError, NotFoundError
from wfpsim.exercise.checking import CheckReport
from wfpsim.exercise.finding import Exercise
from wfpsim.exercise.isolation import DEFAULT_TIMEOUT, listing, missing, run_checks

_HEADER_WORDS = {"student", "id", "name", "login", "username", "email"}


@dataclass(slots=True)
class StudentGrade:
    """One row of the CSV: a student's reports, by exercise id."""

    student: str
    folder: Path | None
    in_roster: bool
    reports: dict[str, CheckReport] = field(default_factory=dict)

    def points(self, ex_id: str) -> int:
        """Points earned in one exercise."""
        return self.reports[ex_id].points[0]

    @property
    def total(self) -> int:
        """Points earned in every exercise."""
        return sum(r.points[0] for r in self.reports.values())


def read_roster(path: Path) -> list[str]:
    """Student ids from a roster: one per line, or a CSV whose first column is the id.

    A first row that names the column (``student``, ``id``, ``name``, ``login``, ``email``) is a
    header; blank lines and lines starting with ``#`` are skipped.

    Raises:
        NotFoundError: no such file.
        InvalidParameterError: the roster names nobody, or one student twice.
    """
    if not path.is_file():
        raise NotFoundError(f"no roster file {path}")
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if r and r[0].strip() and not r[0].startswith("#")]
    ids = [r[0].strip() for r in rows]
    if ids and ids[0].lower() in _HEADER_WORDS:
        ids = ids[1:]
    if not ids:
        raise InvalidParameterError(f"roster {path} names no student (one id per line)")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InvalidParameterError(f"roster {path} names {', '.join(twice)} more than once")
    return ids


def find_submission(folder: Path, ex: Exercise) -> Path | None:
    """A student's ``student.py`` of ``ex`` in their folder (up to two folders down)."""
    for depth in ("", "*/", "*/*/"):
        found = sorted(folder.glob(f"{depth}{ex.folder.name}/student.py"))
        if found:
            return found[0]
    return None


def safe_name(student: str) -> str:
    """A file name for a student's feedback (letters, digits, ``.-_@`` kept)."""
    return re.sub(r"[^A-Za-z0-9._@-]+", "_", student).strip("._") or "student"


def _write_csv(path: Path, ids: list[str], rows: Iterable[StudentGrade]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        sheet = csv.writer(f)
        sheet.writerow(["student", *ids, "total"])
        for row in rows:
            sheet.writerow([row.student, *(row.points(i) for i in ids), row.total])
    os.replace(tmp, path)


def feedback_text(row: StudentGrade, ids: list[str]) -> str:
    """A student's feedback as text: every exercise, every check, its points and feedback."""
    lines = [f"Feedback for {row.student}: {row.total} points", ""]
    if not row.in_roster:
        lines += ["(this student is not in the roster)", ""]
    for ex_id in ids:
        lines += [str(row.reports[ex_id]), ""]
    return "\n".join(lines)


def feedback_html(row: StudentGrade, ids: list[str]) -> str:
    """The same feedback as an HTML page."""
    esc = html.escape
    note = "<p><i>This student is not in the roster.</i></p>" if not row.in_roster else ""
    parts = []
    for ex_id in ids:
        report = row.reports[ex_id]
        earned, possible = report.points
        problem = f"<p><b>{esc(report.problem)}</b></p>" if report.problem else ""
        items = "".join(
            f"<tr><td>{'✔' if r.passed else '✘'}</td><td>{esc(r.description)}"
            f"{' <i>(hidden)</i>' if r.hidden else ''}</td><td>{r.earned}/{r.points}</td>"
            f"<td>{esc(r.message)}</td></tr>"
            for r in report.results
        )
        parts.append(
            f"<h2>{esc(report.exercise.id)} · {esc(report.exercise.title)}: {earned} of "
            f"{possible} points</h2>{problem}<table><tr><th></th><th>check</th><th>points</th>"
            f"<th>feedback</th></tr>{items}</table>"
        )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Feedback for '
        f"{esc(row.student)}</title><style>td,th{{border:1px solid #ccc;padding:4px;"
        "vertical-align:top}table{border-collapse:collapse}</style></head><body>"
        f"<h1>Feedback for {esc(row.student)}: {row.total} points</h1>{note}"
        f"{''.join(parts)}</body></html>"
    )


def grade(
    submissions: str | Path,
    out: str | Path,
    selected: list[Exercise],
    *,
    hidden: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    roster: str | Path | None = None,
    feedback: str | Path | None = None,
    jobs: int | None = None,
    variants: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[StudentGrade]:
    """Grade every student folder of ``submissions`` on ``selected`` (module docstring).

    With ``variants``, each student's id is the seed of their variant of ex02, ex08 and ex13
    (:mod:`wfpsim.exercise.variants`); without, everyone answers the hand-out's questions.

    Raises:
        NotFoundError: no submissions folder, no roster file, no hidden checks when asked.
        InvalidParameterError: a bad roster or ``jobs``/``timeout`` below 1.
    """
    base = Path(submissions)
    if not base.is_dir():
        raise NotFoundError(f"no submissions folder {base} (one folder per student inside)")
    if jobs is not None and jobs < 1:
        raise InvalidParameterError(f"--jobs {jobs}: give at least 1")
    if timeout <= 0:
        raise InvalidParameterError(f"--timeout {timeout:g}: give a number of seconds above 0")
    for ex in selected:
        listing(ex, hidden)  # fail early: missing checks or hidden checks
    say = progress or (lambda text: print(text, file=sys.stderr, flush=True))
    found = {p.name: p for p in sorted(base.iterdir()) if p.is_dir() and not p.name.startswith(".")}
    names = read_roster(Path(roster)) if roster is not None else sorted(found)
    rows = {n: StudentGrade(n, found.get(n), True) for n in names}
    for extra in sorted(set(found) - set(names)):
        say(f"warning: {extra} has a submission folder but is not in the roster")
        rows[extra] = StudentGrade(extra, found[extra], False)
    ids = [e.id for e in selected]
    tasks = []
    for row in rows.values():
        for ex in selected:
            path = find_submission(row.folder, ex) if row.folder else None
            if path is None:
                why = (
                    "no submission from this student"
                    if row.folder is None
                    else f"no {ex.folder.name}/student.py in this student's folder"
                )
                row.reports[ex.id] = missing(ex, "(no file)", hidden, why + ": 0 points.")
            else:
                tasks.append((row, ex, path))
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    done = [r for r in rows.values() if len(r.reports) == len(ids)]
    _write_csv(out_path, ids, done)
    workers = jobs or os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            pool.submit(
                run_checks,
                ex,
                path,
                str(path.relative_to(base)),
                hidden=hidden,
                timeout=timeout,
                seed=row.student if variants else None,
                protect=(base,),
            ): (row, ex)
            for row, ex, path in tasks
        }
        for count, future in enumerate(as_completed(futures), 1):
            row, ex = futures[future]
            report = future.result()
            row.reports[ex.id] = report
            earned, possible = report.points
            say(f"[{count}/{len(tasks)}] {row.student} {ex.id}: {earned}/{possible}")
            if len(row.reports) == len(ids):
                done.append(row)
                _write_csv(out_path, ids, done)
                if feedback is not None:
                    _write_feedback(Path(feedback), row, ids)
    ordered = list(rows.values())
    _write_csv(out_path, ids, ordered)
    if feedback is not None:
        for row in ordered:
            _write_feedback(Path(feedback), row, ids)
    return ordered


def _write_feedback(folder: Path, row: StudentGrade, ids: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    name = safe_name(row.student)
    (folder / f"{name}.txt").write_text(feedback_text(row, ids), encoding="utf-8")
    (folder / f"{name}.html").write_text(feedback_html(row, ids), encoding="utf-8")
