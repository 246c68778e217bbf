"""The engine uses no ``assert`` for control flow: types are stored, real errors are WfpErrors.

``python -O`` strips asserts, so an assert that guards a value would let a wrong one through.
The pictures (``wfpsim.viz``) and the exercise runner are outside the engine and not checked.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "wfpsim"
OUTSIDE_THE_ENGINE = {"viz", "exercise"}


def asserts_in(path: Path) -> list[int]:
    """The line of every ``assert`` statement in a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def test_no_assert_in_the_engine() -> None:
    """No engine module asserts (doctests and tests may)."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).parts[0] not in OUTSIDE_THE_ENGINE
        for line in asserts_in(path)
    ]
    assert not found, "store the right type or raise a WfpError instead:\n" + "\n".join(found)


def test_the_scan_sees_asserts(tmp_path: Path) -> None:
    """Module-level and nested asserts are found; the word in a string is not."""
    module = tmp_path / "m.py"
    module.write_text('assert True\ndef f(x):\n    assert x is not None\n    return "assert"\n')
    assert asserts_in(module) == [1, 3]
