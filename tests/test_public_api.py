"""``wfpsim.__all__`` offers what the tutorials use, each name loaded only when first used."""

import json
import subprocess
import sys

import pytest

import wfpsim
from wfpsim.callouts import BuiltinCallout
from wfpsim.registry import CalloutRegisterFlag
from wfpsim.stack import Stack
from wfpsim.trace import Classification


@pytest.mark.parametrize(
    ("name", "home"),
    [
        ("Stack", Stack),
        ("Classification", Classification),
        ("BuiltinCallout", BuiltinCallout),
        ("CalloutRegisterFlag", CalloutRegisterFlag),
    ],
)
def test_names_the_tutorials_use_are_public(name: str, home: object) -> None:
    """Each is in ``wfpsim.__all__`` and is the object its module defines."""
    assert name in wfpsim.__all__
    assert getattr(wfpsim, name) is home


def test_the_stack_loads_on_first_use() -> None:
    """``import wfpsim`` does not load the stack; ``wfpsim.Stack`` does."""
    code = (
        "import sys, json, wfpsim; before = 'wfpsim.stack' in sys.modules; wfpsim.Stack; "
        "print(json.dumps([before, 'wfpsim.stack' in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [False, True]
