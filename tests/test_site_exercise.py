"""check("exNN") in the browser classroom: Pyodide starts no process, so the checks run in-page."""

from __future__ import annotations

import os
import sys

import pytest

from wfpsim.exercise import check


@pytest.fixture
def in_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """As under Pyodide: sys.platform is "emscripten" and starting a process fails."""
    monkeypatch.setattr(sys, "platform", "emscripten")

    def no_processes(*args: object, **kwargs: object) -> None:
        raise OSError(138, "emscripten does not support processes.")

    monkeypatch.setattr("subprocess.Popen", no_processes)


def test_the_reference_solution_passes_in_the_page(in_the_browser: None) -> None:
    """The same checks, the same verdict, without a process of its own."""
    here = os.getcwd()
    report = check("ex01", solution=True)
    assert report.passed, report
    assert os.getcwd() == here and "WFPSIM_EXERCISES" not in os.environ


def test_the_hand_out_gets_the_command_lines_feedback_in_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unfinished student file gets the same feedback as in a process of its own."""
    in_a_process = check("ex01")
    monkeypatch.setattr(sys, "platform", "emscripten")
    in_page = check("ex01")
    assert not in_page.passed
    assert str(in_page) == str(in_a_process)


def test_a_data_exercise_is_judged_in_the_page(in_the_browser: None) -> None:
    """Exercises judged as data (ex02) also run: read the answers, then judge them."""
    assert check("ex02", solution=True).passed
