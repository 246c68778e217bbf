"""Where facts come from: cited by a title a reader can look up, SDK values defined once."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "wfpsim"

#: Source tags of the team's private notes ("[D-objmgmt]", "[A-match]", "[D7]", "[S1]") and
#: references to the notes themselves ("layers-and-flows.md §3"): readers do not have them.
PRIVATE_CITATION = re.compile(
    r"\[[A-Z]-[a-z]|\[[A-Z][0-9]+\]|layers-and-flows|arbitration-and-objects|\.md §"
)

#: Names the Windows SDK and WDK headers define (fwpsk.h, fwpstypes.h, ntstatus.h, nldef.h…).
SDK_NAME = re.compile(
    r"^(FWPM?S?_|FWP_|STATUS_|NDIS_STATUS_|IF_TYPE_|NET_FW_|Nlat[A-Z]|IpDiscard|InetDiscard)"
)


def sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.suffix in {".py", ".json", ".toml"})


def test_citations_point_at_pages_readers_can_find() -> None:
    """No docstring or comment cites the team's private notes; Microsoft's pages by title."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE_CITATION.search(line)
    ]
    assert not found, "cite Microsoft's page by title instead:\n" + "\n".join(found)


def test_the_citation_check_sees_private_tags() -> None:
    """The pattern catches each kind of private citation and lets page titles through."""
    for bad in ("([D-objmgmt])", "[A-match] table", "([D7])", "layers-and-flows.md §3", "x.md §1"):
        assert PRIVATE_CITATION.search(bad), bad
    for good in (
        "Microsoft Learn, *Filter Arbitration*",
        r"[A-Za-z_]\w*",
        "[A-Z]{2}",
        "list[Filter]",
    ):
        assert not PRIVATE_CITATION.search(good), good


def module_level_sdk_names(path: Path) -> list[str]:
    """SDK names a module gives a value of its own (an assignment at module level)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        names += [t.id for t in targets if isinstance(t, ast.Name) and SDK_NAME.match(t.id)]
    return names


def test_sdk_constants_are_defined_once_in_ids() -> None:
    """Every SDK constant lives in wfpsim.ids; other modules import it from there."""
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in PACKAGE.rglob("*.py")
        if path != PACKAGE / "ids.py"
        for name in module_level_sdk_names(path)
    ]
    assert not found, "define these in wfpsim/ids.py and import them:\n" + "\n".join(found)


def test_the_constant_check_sees_assignments(tmp_path: Path) -> None:
    """Plain and annotated module-level assignments are seen; locals and imports are not."""
    module = tmp_path / "m.py"
    module.write_text(
        "from wfpsim.ids import STATUS_SUCCESS\n"
        "STATUS_FAILED_DRIVER_ENTRY = 0xC0000365\n"
        "FWPS_STREAM_FLAG_SEND: int = 0x10000\n"
        "LIMIT = 3\n"
        "def f():\n    FWP_ACTION_BLOCK = 1\n"
    )
    assert module_level_sdk_names(module) == ["STATUS_FAILED_DRIVER_ENTRY", "FWPS_STREAM_FLAG_SEND"]
