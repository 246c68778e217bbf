"""``wfpsim exercise``: list, check, handout, grade, export-otter, variant.

``wfpsim exercise check ID [--solution] [--hidden] [--file F] [--seed S] [--timeout T] [--json]``
``wfpsim exercise handout OUT_DIR [--exercise ID]...``
``wfpsim exercise grade SUBMISSIONS_DIR --out grades.csv [--exercise ID]... [--hidden]
[--timeout SECONDS] [--roster FILE] [--feedback DIR] [--jobs N] [--variants]``
``wfpsim exercise export-otter OUT_DIR [--exercise ID]...``
``wfpsim exercise variant ID --seed S``

Exit status: 0 when it did what was asked (``check``: only when every check passed), 1 when a
check failed, 2 for bad input (unknown id, missing folder or file, bad roster).
"""

from __future__ import annotations

import argparse
import json
import sys

from wfpsim.errors import WfpError
from wfpsim.exercise.finding import Exercise, exercises, get
from wfpsim.exercise.isolation import DEFAULT_TIMEOUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wfpsim exercise", description="classroom exercises")
    sub = parser.add_subparsers(dest="action", required=True)
    p_list = sub.add_parser("list", help="list the exercises: id, kind, title, topics")
    p_list.add_argument("--json", action="store_true", help="print JSON")
    p_check = sub.add_parser("check", help="run an exercise's checks (exit 0 when all pass)")
    p_check.add_argument("id", help="an exercise id, e.g. ex03")
    p_check.add_argument("--solution", action="store_true", help="check the reference solution")
    p_check.add_argument("--hidden", action="store_true", help="also run the hidden checks")
    p_check.add_argument("--file", help="check this student file instead of student.py")
    p_check.add_argument("--seed", help="a student's variant (ex02, ex08, ex13)")
    p_check.add_argument("--json", action="store_true", help="print JSON")
    p_hand = sub.add_parser("handout", help="write what students get (no solutions, no hidden)")
    p_hand.add_argument("out_dir", metavar="OUT_DIR", help="a new folder")
    p_grade = sub.add_parser("grade", help="grade a folder of submissions into a CSV")
    p_grade.add_argument("submissions", metavar="SUBMISSIONS_DIR", help="one folder per student")
    p_grade.add_argument("--out", required=True, help="the CSV to write (grades.csv)")
    p_grade.add_argument("--hidden", action="store_true", help="also run the hidden checks")
    p_grade.add_argument("--roster", help="student ids, one per line (or a CSV, id first)")
    p_grade.add_argument("--feedback", help="write one .txt and one .html per student here")
    p_grade.add_argument("--jobs", type=int, help="files checked at once (default: CPU count)")
    p_grade.add_argument(
        "--variants",
        action="store_true",
        help="each student's id seeds their variant of ex02, ex08, ex13",
    )
    p_otter = sub.add_parser("export-otter", help="write otter-grader 7 test files")
    p_otter.add_argument("out_dir", metavar="OUT_DIR", help="a new folder")
    p_variant = sub.add_parser("variant", help="show a student's variant of ex02, ex08, ex13")
    p_variant.add_argument("id", help="an exercise id: ex02, ex08 or ex13")
    p_variant.add_argument("--seed", required=True, help="the student's id")
    for p in (p_check, p_grade):
        p.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            help=f"seconds one file may take (default {DEFAULT_TIMEOUT:g})",
        )
    for p in (p_hand, p_grade, p_otter):
        p.add_argument(
            "--exercise",
            action="append",
            metavar="ID",
            help="only this exercise (repeat for more; default: all)",
        )
    for p in (p_list, p_check, p_hand, p_grade, p_otter, p_variant):
        p.add_argument("--root", help="the exercises/ folder (or a folder holding it)")
    return parser


def _selected(ids: list[str] | None, root: str | None) -> list[Exercise]:
    if not ids:
        return exercises(root)
    chosen: list[Exercise] = []
    for i in ids:
        ex = get(i, root)
        if ex not in chosen:
            chosen.append(ex)
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Run ``wfpsim exercise`` with ``argv`` (the module docstring gives the exit status)."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except WfpError as err:
        print(f"wfpsim exercise: {err}", file=sys.stderr)
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    if args.action == "list":
        items = exercises(args.root)
        if args.json:
            print(json.dumps([e.to_json() for e in items], indent=2, ensure_ascii=False))
            return 0
        from wfpsim.report import text_table

        rows = [("id", "kind", "title", "topics")]
        print(text_table(rows + [(e.id, e.kind, e.title, ", ".join(e.topics)) for e in items]))
        return 0
    if args.action == "check":
        from wfpsim.exercise import check

        if args.timeout <= 0:
            message = f"--timeout {args.timeout:g}: give a number of seconds above 0"
            print(f"wfpsim exercise: {message}", file=sys.stderr)
            return 2
        report = check(
            args.id,
            args.solution,
            args.hidden,
            args.root,
            student_file=args.file,
            seed=args.seed,
            timeout=args.timeout,
        )
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False) if args.json else report)
        return 0 if report.passed else 1
    if args.action == "handout":
        from wfpsim.exercise.handout import handout

        written = handout(args.out_dir, _selected(args.exercise, args.root))
        print(f"wrote {len(written)} exercises to {args.out_dir} (no solutions/, no hidden/)")
        return 0
    if args.action == "grade":
        from wfpsim.exercise.grading import grade

        graded = grade(
            args.submissions,
            args.out,
            _selected(args.exercise, args.root),
            hidden=args.hidden,
            timeout=args.timeout,
            roster=args.roster,
            feedback=args.feedback,
            jobs=args.jobs,
            variants=args.variants,
        )
        print(f"graded {len(graded)} students into {args.out}")
        return 0
    if args.action == "export-otter":
        from wfpsim.exercise.otter import export_otter

        written = export_otter(args.out_dir, _selected(args.exercise, args.root))
        print(f"wrote otter-grader tests for {len(written)} exercises to {args.out_dir}")
        return 0
    from wfpsim.exercise.variants import describe

    print(describe(get(args.id, args.root).id, args.seed))
    return 0
