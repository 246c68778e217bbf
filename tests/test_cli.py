"""The `wfpsim` command: layer, layers, draw, animate (run and examples: test_scenario.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from wfpsim.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wfpsim", *args], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize(
    "name",
    [
        "ALE_AUTH_CONNECT_V4",
        "FWPM_LAYER_ALE_AUTH_CONNECT_V4",
        "{c38d57d1-05a7-4c33-904f-7fbceee60e82}",
    ],
)
def test_layer_json_shape(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim layer NAME --json` prints name, guid, id and the fields in header order."""
    assert main(["layer", name, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["name"] == "FWPM_LAYER_ALE_AUTH_CONNECT_V4"
    assert doc["guid"] == "c38d57d1-05a7-4c33-904f-7fbceee60e82"
    assert doc["id"] == 48
    port = doc["fields"][7]
    assert port == {
        "index": 7,
        "name": "FWPS_FIELD_ALE_AUTH_CONNECT_V4_IP_REMOTE_PORT",
        "condition": "FWPM_CONDITION_IP_REMOTE_PORT",
        "condition_guid": "c35a604d-d22b-4e1a-91b4-68f674ee674b",
        "type": "FWP_UINT16",
    }
    assert [f["index"] for f in doc["fields"]] == list(range(len(doc["fields"])))


def test_layer_by_runtime_id(capsys: pytest.CaptureFixture[str]) -> None:
    """A run-time id works as NAME."""
    assert main(["layer", "16", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "FWPM_LAYER_OUTBOUND_TRANSPORT_V4"


def test_layer_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Without --json a readable table with the field enumeration."""
    assert main(["layer", "OUTBOUND_TRANSPORT_V4"]) == 0
    out = capsys.readouterr().out
    assert "FWPS_FIELD_OUTBOUND_TRANSPORT_V4_IP_REMOTE_PORT" in out
    assert "{09e61aea-d214-46e2-9b21-b26b0b2f28c8}" in out


def test_layers_lists_all(capsys: pytest.CaptureFixture[str]) -> None:
    """`wfpsim layers` lists every layer with its id."""
    assert main(["layers"]) == 0
    out = capsys.readouterr().out
    assert "ALE_AUTH_RECV_ACCEPT_V4_DISCARD" in out and "RPC_UM" in out
    assert main(["layers", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 99


def test_unknown_layer_is_a_clear_error() -> None:
    """A bad name exits 2 with one line naming it and the error code, no traceback."""
    result = run("layer", "ALE_CONNECT_V4")
    assert result.returncode == 2
    assert "FWP_E_LAYER_NOT_FOUND" in result.stderr and "ALE_CONNECT_V4" in result.stderr
    assert "Traceback" not in result.stderr


def test_draw_and_animate_commands(tmp_path: Path) -> None:
    """`wfpsim draw` writes a weight graph; `wfpsim animate` a standalone player page."""
    svg = tmp_path / "w.svg"
    assert (
        main(
            ["draw", "arbitration-example", "--layer", "ALE_AUTH_RECV_ACCEPT_V4", "--out", str(svg)]
        )
        == 0
    )
    assert "port80" in svg.read_text()
    page = tmp_path / "p.html"
    assert main(["animate", "starter-kit", "--traffic", "0", "--out", str(page)]) == 0
    assert "OUTBOUND_TRANSPORT_V4" in page.read_text() and "<script" in page.read_text()
    assert main(["animate", "starter-kit", "--traffic", "9", "--out", str(page)]) == 2
    assert main(["draw", "arbitration-example", "--out", str(tmp_path / "w.gif")]) == 2


# --- exit statuses --------------------------------------------------------------------------


def test_internal_error_is_status_3_with_one_line_and_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug (an exception that is not a WfpError) exits 3: a line asking for a report, then
    the traceback."""
    from wfpsim import cli

    def broken(args: object) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(cli.COMMANDS, "layers", cli.Command("list", None, broken))
    assert main(["layers"]) == 3
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert "internal error" in first and "report" in first
    assert "Traceback" in err and "ZeroDivisionError: a bug" in err


def test_bad_arguments_are_status_2() -> None:
    """An unknown command or option is invalid input (2), without a traceback."""
    for args in (["nonsense"], ["layers", "--nope"], ["run"]):
        result = run(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr


def test_exit_statuses_are_listed_in_the_help() -> None:
    """`wfpsim -h` lists the four exit statuses."""
    out = run("-h").stdout
    assert "exit status" in out and "3 internal error" in " ".join(out.split())


def test_exercise_arguments_belong_to_the_exercise_module() -> None:
    """`wfpsim exercise …` hands its arguments to wfpsim.exercise's own parser."""
    result = run("exercise", "-h")
    assert result.returncode == 0 and "wfpsim exercise" in result.stdout
    listed = run("exercise", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout)
    assert run("exercise", "check", "no-such-exercise").returncode == 2


# --- output paths ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["draw", "animate"])
def test_out_into_a_missing_folder_is_refused_unless_asked(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing folder is exit 2 naming it; --parents creates it."""
    target = tmp_path / "new" / "deeper" / ("w.svg" if command == "draw" else "p.html")
    args = ["arbitration-example"] if command == "draw" else ["starter-kit"]
    assert main([command, *args, "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "--parents" in err and not (tmp_path / "new").exists()
    if command == "draw":
        args += ["--out", str(target), "--parents", "--layer", "ALE_AUTH_RECV_ACCEPT_V4"]
    else:
        args += ["--out", str(target), "--parents"]
    assert main([command, *args]) == 0
    assert target.is_file()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "afile" / "w.svg", "is a file, not a folder"),
        (lambda tmp: tmp, "is a folder"),
        (lambda tmp: Path("/dev/null"), "not a regular file"),
        (lambda tmp: Path("/sys/w.svg"), "cannot write it"),
    ],
)
def test_out_paths_that_cannot_be_written(
    make: object, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file used as a folder, a folder, a special file or a place we may not write: exit 2
    with the reason, before any work, and no traceback."""
    (tmp_path / "afile").write_text("x")
    target = make(tmp_path)  # type: ignore[operator]
    if str(target).startswith("/sys") and not Path("/sys").is_dir():
        pytest.skip("no /sys here")
    for command, scenario in (("draw", "arbitration-example"), ("animate", "starter-kit")):
        assert main([command, scenario, "--out", str(target)]) == 2, command
        err = capsys.readouterr().err
        assert reason in err and "Traceback" not in err, (command, err)
