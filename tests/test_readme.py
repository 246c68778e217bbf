"""Every ```python block of README.md runs as printed, in order, in one namespace.

A ```text block that directly follows a ```python block (nothing but blank lines between) is
the output that block prints: it is compared with what the block really printed (trailing
spaces ignored). Every ``$ wfpsim ...`` line of any block runs too (see
:func:`test_every_wfpsim_command_runs_as_printed`). To show output that is not deterministic, put a sentence between the two
blocks. Other fences (```bash, ```text elsewhere, plain ```) are not run.

Each block runs in a fresh temporary directory shared by all blocks, so a block that writes
``tcp.html`` leaves nothing in the checkout. A failure names the block by its number and the
README line its fence starts on.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shlex
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    """One fenced block: its language, first line number (of the fence) and text."""

    lang: str
    line: int
    text: str
    follows_directly: bool  # only blank lines between this block and the one before


def blocks(markdown: str) -> list[Block]:
    """The fenced blocks of a Markdown text, in order.

    >>> [(b.lang, b.line) for b in blocks("x\\n```python\\nprint(1)\\n```\\n```text\\n1\\n```\\n")]
    [('python', 2), ('text', 5)]
    """
    out: list[Block] = []
    lines = markdown.splitlines()
    i, gap_is_blank = 0, False
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            gap_is_blank = gap_is_blank and not lines[i].strip()
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        out.append(Block(m.group(1), start + 1, "\n".join(body) + "\n", bool(out) and gap_is_blank))
        i += 1
        gap_is_blank = True
    return out


def normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def test_readme_has_python_blocks() -> None:
    """The README shows Python (so the test below is not vacuous)."""
    assert sum(b.lang == "python" for b in blocks(README.read_text(encoding="utf-8"))) >= 3


def test_every_python_block_runs_as_printed(tmp_path: Path) -> None:
    """Run each ```python block in order; compare printed output with a ```text block after it."""
    found = blocks(README.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": "__readme__"}
    number = 0
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for k, block in enumerate(found):
            if block.lang != "python":
                continue
            number += 1
            where = f"README.md python block {number} (line {block.line})"
            out, error = io.StringIO(), ""
            try:
                code = compile(block.text, f"<{where}>", "exec")
                with contextlib.redirect_stdout(out):
                    exec(code, namespace)
            except Exception:
                error = traceback.format_exc()
            if error:
                pytest.fail(f"{where} does not run as printed:\n{block.text}\n{error}", False)
            after = found[k + 1] if k + 1 < len(found) else None
            if after is not None and after.lang == "text" and after.follows_directly:
                got, want = normalise(out.getvalue()), normalise(after.text)
                if got != want:
                    diff = "\n".join(
                        difflib.unified_diff(
                            want.splitlines(),
                            got.splitlines(),
                            f"README.md text block (line {after.line})",
                            "printed",
                            lineterm="",
                        )
                    )
                    pytest.fail(
                        f"{where} prints something else than the text block after it:\n{diff}",
                        pytrace=False,
                    )
    finally:
        os.chdir(cwd)


#: README commands show a few placeholders a reader replaces with their own file; the test runs
#: them with a real file of the same kind.
PLACEHOLDERS = {
    "my-policy.toml": str(README.parent / "wfpsim" / "scenarios" / "weight-ranges.toml"),
    "wfpstate.xml": str(README.parent / "notebooks" / "data" / "fanyi_wfpstate.xml"),
    "before.xml": str(README.parent / "notebooks" / "data" / "fanyi_wfpstate.xml"),
    "after.xml": str(README.parent / "wfpsim" / "scenarios" / "rules-that-never-apply.toml"),
    "netevents.xml": str(README.parent / "notebooks" / "data" / "netevents-sample.xml"),
    "traffic.toml": str(README.parent / "wfpsim" / "scenarios" / "icmp-and-loopback.toml"),
}
#: Commands whose documented exit status may be 1: a student's exercise not solved yet.
MAY_FAIL = {("exercise", "check", "ex03")}


def commands(markdown: str) -> list[tuple[int, str]]:
    """Every ``$ wfpsim ...`` line of the fenced blocks: (README line, command without comment).

    >>> commands("```text\\n$ wfpsim layers   # all\\n```\\n")
    [(2, 'wfpsim layers')]
    """
    out = []
    for block in blocks(markdown):
        for offset, line in enumerate(block.text.splitlines(), start=1):
            if line.startswith("$ wfpsim"):
                out.append((block.line + offset, line[2:].split("  #")[0].strip()))
    return out


def test_every_wfpsim_command_runs_as_printed(tmp_path: Path) -> None:
    """Each `$ wfpsim ...` line runs (placeholders swapped for real files, `[--opt]` given)."""
    from wfpsim.cli import main

    found = commands(README.read_text(encoding="utf-8"))
    assert len(found) >= 5
    failures = []
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for line, command in found:
            argv = [PLACEHOLDERS.get(w.strip("[]"), w.strip("[]")) for w in shlex.split(command)]
            out, err, crash = io.StringIO(), io.StringIO(), ""
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    status = main(argv[1:])
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else 1
            except Exception:
                status, crash = -1, traceback.format_exc()
            allowed = {0, 1} if tuple(argv[1:4]) in MAY_FAIL else {0}
            if status not in allowed or crash:
                failures.append(
                    f"README.md line {line}: `{command}` exited {status}:\n"
                    f"{(crash or err.getvalue())[-1500:]}"
                )
    finally:
        os.chdir(cwd)
    assert not failures, "\n\n".join(failures)
