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
