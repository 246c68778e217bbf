"""Benchmark grading a class: 30 students × every exercise, with the hidden checks, two jobs.

Hands the exercises out into a temporary folder per student (as ``wfpsim exercise handout``
does), gives every third student the reference solutions, every third the untouched stubs and
the rest a mix (solutions for even-numbered exercises), then runs ``wfpsim exercise grade
--hidden --jobs 2`` over every exercise found (new ones included), printing its progress every
few files. Prints the wall time, the CPU time of the checking processes (the student's process
and the judge of each file), the files graded per second and the load average before and after
(figures taken on a busy machine say so), and exits with status 1 if the target is missed: the
whole class in under 5 minutes. Run it on an otherwise idle two-core machine (``taskset -c 0,1``
to pin it):

    .venv/bin/python benchmarks/bench_grading.py [--students 30] [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from wfpsim.exercise import exercises, forkserver
from wfpsim.exercise.grading import grade
from wfpsim.exercise.handout import handout

TARGET_S = 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    every = exercises()
    with tempfile.TemporaryDirectory(prefix="wfpsim-bench-grading-") as tmp:
        base = Path(tmp) / "submissions"
        for n in range(args.students):
            folder = base / f"student{n:02d}"
            handout(folder, every)
            for i, ex in enumerate(every):
                solved = n % 3 == 0 or (n % 3 == 2 and i % 2 == 0)
                if solved:
                    shutil.copyfile(ex.solution_path, folder / ex.folder.name / "student.py")
        out = Path(tmp) / "grades.csv"
        files = args.students * len(every)
        started = time.monotonic()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        forked_before = forkserver.children_cpu()
        load_before = os.getloadavg()
        print(f"grading {files} files ({', '.join(e.id for e in every)})", flush=True)
        done = [0]

        def progress(text: str) -> None:
            if not text.startswith("["):  # a warning, not a file graded
                return
            done[0] += 1
            if done[0] % max(1, files // 20) == 0 or done[0] == files:
                elapsed = time.monotonic() - started
                print(f"  {done[0]:4d}/{files} files  {elapsed:6.1f} s", flush=True)

        grade(base, out, every, hidden=True, jobs=args.jobs, progress=progress)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        cpu += forkserver.children_cpu() - forked_before
        with out.open(newline="") as f:
            rows = list(csv.DictReader(f))
    full = sum(1 for r in rows if int(r["student"][-2:]) % 3 == 0)
    print(f"{args.students} students × {len(every)} exercises = {files} files, --jobs {args.jobs}")
    print(f"  wall time     {wall:7.1f} s   (target < {TARGET_S:.0f} s)")
    print(f"  checking CPU  {cpu:7.1f} s   ({cpu / files:.2f} s per file)")
    print(f"  throughput    {files / wall:7.2f} files/s")
    print(f"  rows          {len(rows)} ({full} with every solution)")
    load_after = os.getloadavg()
    print(
        f"  load average  {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"(1 min; {os.cpu_count()} CPUs)"
    )
    return 0 if wall < TARGET_S and len(rows) == args.students else 1


if __name__ == "__main__":
    sys.exit(main())
