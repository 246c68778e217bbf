"""The scenario format's JSON Schema agrees with the loader: on the built-in scenarios, the
conformance files and the bad files the loader refuses at load time (exit status 2)."""

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from wfpsim.cli import main
from wfpsim.runner import builtin_scenarios
from wfpsim.scenario import ScenarioError, load
from wfpsim.scenario_shape import SCHEMA_FILE, json_schema, schema_text

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "wfpsim" / SCHEMA_FILE
GOOD = sorted(builtin_scenarios().values()) + sorted(
    (ROOT / "tests" / "conformance").glob("*.toml")
)
VALIDATOR = jsonschema.Draft202012Validator(json_schema())

F = '[[filter]]\nname = "f"\nlayer = "ALE_AUTH_CONNECT_V4"\n'
C = '[[callout]]\nname = "c"\nlayer = "ALE_AUTH_CONNECT_V4"\n'
K = '[[classify]]\nlayer = "ALE_AUTH_CONNECT_V4"\n'
T = '[[traffic]]\nkind = "tcp"\ndirection = "outbound"\nlocal = "10.0.0.5:0"\n'


def cond(value: str, field: str = "IP_REMOTE_PORT") -> str:
    return F + f'conditions = [{{ field = "{field}", value = {value} }}]\n'


#: (bad file, what the message names, does the schema see it too?)
BAD = [
    (F + "action = {}\n", "action = {}", True),
    (F + "flags = [[1]]\n", "flags = [[1]]", True),
    (F + 'conditions = [{ field = "IP_REMOTE_PORT", match = [1], value = 1 }]\n', "match", True),
    (C + "returns = 1\n", "returns = 1", True),
    (F + 'action = "CALLOUT_TERMINATING"\ncallout = 1.5\n', "callout = 1.5", True),
    (F + "sublayer = [1]\n", "sublayer = [1]", True),
    (
        cond('{ type = "FWP_V4_ADDR_MASK", value = 1 }', "IP_REMOTE_ADDRESS"),
        "FWP_V4_ADDR_MASK",
        False,
    ),
    (cond('{ type = "FWP_BYTE_BLOB_TYPE", value = 1 }', "ALE_APP_ID"), "FWP_BYTE_BLOB_TYPE", False),
    (cond('{ type = "FWP_SID", value = "me" }', "ALE_USER_ID"), "not a SID", False),
    (cond("[1]"), "[1]", True),
    (cond("[1, 2, 3]"), "[1, 2, 3]", True),
    (cond("true"), "True", True),
    (K + 'expect = { veto = "yes" }\n', "veto = 'yes'", True),
    (K + "expect = [1]\n", "expect = [1]", True),
    (K + 'expect = { sublayers = [{ sublayer = "x", colour = "red" }] }\n', "'colour'", True),
    (T + 'remote = "1.2.3.4:80"\nexpect = { layers = "x" }\n', "layers = 'x'", True),
    (F + "weight = true\n", "weight = True", True),
    ('[[sublayer]]\nname = "s"\nweight = true\n', "weight = True", True),
    (F + "flags = 0x80000\n", "unknown bit(s) 0x80000", False),
    (cond('"O:garbage"', "ALE_USER_ID"), "is not SDDL", False),
    (T + 'remote = "1.2.3.4"\n', "has no port", False),
    ("x = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply", False),
    ('[[driver]]\nload = "not a reference"\n', "'package.module:function'", True),
    ("title = 5\n", "title = 5", True),
]


def test_the_shipped_schema_is_the_loaders() -> None:
    """wfpsim/schema/scenario.schema.json is what the loader's shapes say (regenerate it with
    `python -m wfpsim.scenario_shape`)."""
    assert SHIPPED.read_text(encoding="utf-8") == schema_text()
    jsonschema.Draft202012Validator.check_schema(json.loads(SHIPPED.read_text()))


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_files_pass_both(path: Path) -> None:
    """Every built-in scenario and conformance file loads and satisfies the schema."""
    load(path)
    errors = [e.message for e in VALIDATOR.iter_errors(tomllib.loads(path.read_text()))]
    assert errors == []


@pytest.mark.parametrize(("text", "needle", "schema_sees_it"), BAD)
def test_bad_files_are_refused_at_load_time(
    tmp_path: Path, text: str, needle: str, schema_sees_it: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad value is refused when the file loads (exit 2, before anything runs), with the
    bad value named; the schema refuses the ones a schema can express."""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert needle in str(info.value), str(info.value)
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(path) in err
    try:
        data = tomllib.loads(text)
    except RecursionError:
        return  # the TOML parser itself gives up: nothing for the schema to see
    if schema_sees_it:
        assert list(VALIDATOR.iter_errors(data)), "the schema should refuse this too"
