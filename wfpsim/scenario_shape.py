"""The shape of a scenario file, stated once: checked at load time and exported as a JSON Schema.

Every value of a scenario is checked against these shapes when the file loads — strings,
integers (never booleans) in range, lists, tables, known keys — before anything runs; the
loader (:mod:`wfpsim.scenario`) then checks what a shape cannot say (names that must exist,
GUIDs, typed payloads per ``FWP_*`` type, SDDL, flag bits, fields of a layer).
:func:`json_schema` turns the same shapes into the JSON Schema shipped as
``wfpsim/schema/scenario.schema.json``, which editors (VS Code's *Even Better TOML*, JetBrains'
TOML plugin, Taplo) use to complete and check scenario files as they are typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from wfpsim.errors import InvalidParameterError

INT_TEXT = r"^\s*(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)\s*$"
FUNCTION_TEXT = r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$"


class Shape:
    """A value's shape: :meth:`check` raises with the bad value; :meth:`schema` is JSON Schema."""

    what = "a value"

    def ok(self, value: object) -> bool:  # pragma: no cover - every shape overrides it
        raise NotImplementedError

    def check(self, value: object, where: str) -> None:
        """Raise :class:`InvalidParameterError` naming ``where`` unless ``value`` fits."""
        if not self.ok(value):
            raise InvalidParameterError(f"{where} = {value!r}: give {self.what}")

    def schema(self) -> dict[str, Any]:  # pragma: no cover - every shape overrides it
        raise NotImplementedError


@dataclass(frozen=True)
class Str(Shape):
    """A string, optionally one of ``choices`` (case-insensitive) or matching ``pattern``."""

    choices: tuple[str, ...] = ()
    pattern: str = ""
    hint: str = ""

    @property
    def what(self) -> str:  # type: ignore[override]
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return self.hint or "a string"

    def ok(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        if self.choices and value.lower() not in {c.lower() for c in self.choices}:
            return False
        if self.pattern:
            return re.fullmatch(self.pattern.strip("^$"), value) is not None
        return True

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        if self.choices:
            variants = sorted({v for c in self.choices for v in (c, c.lower(), c.upper())})
            out["enum"] = variants
        if self.pattern:
            out["pattern"] = self.pattern
        return out


@dataclass(frozen=True)
class Int(Shape):
    """An integer in ``low..high`` (a boolean is not one); ``text``: a decimal/hex string too."""

    low: int = 0
    high: int = 2**64 - 1
    text: bool = False

    @property
    def what(self) -> str:  # type: ignore[override]
        extra = " (or a hex string)" if self.text else ""
        return f"an integer in {self.low}..{self.high}{extra}"

    def ok(self, value: object) -> bool:
        if isinstance(value, str) and self.text:
            if not re.fullmatch(INT_TEXT.strip("^$"), value):
                return False
            value = int(value.replace("_", ""), 0)
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.low <= value <= self.high
        )

    def schema(self) -> dict[str, Any]:
        number: dict[str, Any] = {"type": "integer", "minimum": self.low}
        if self.high <= 2**63 - 1:  # TOML integers stop at 2^63-1; bigger ones are hex text
            number["maximum"] = self.high
        if self.text:
            return {"anyOf": [number, {"type": "string", "pattern": INT_TEXT}]}
        return number


@dataclass(frozen=True)
class Bool(Shape):
    """``true`` or ``false``."""

    what = "true or false"

    def ok(self, value: object) -> bool:
        return isinstance(value, bool)

    def schema(self) -> dict[str, Any]:
        return {"type": "boolean"}


@dataclass(frozen=True)
class ListOf(Shape):
    """A list of items of one shape (``size``: exactly that many)."""

    item: Shape
    size: int = 0

    @property
    def what(self) -> str:  # type: ignore[override]
        count = f"{self.size} " if self.size else ""
        return f"a list of {count}items, each {self.item.what}"

    def ok(self, value: object) -> bool:
        if not isinstance(value, list) or (self.size and len(value) != self.size):
            return False
        return all(self.item.ok(v) for v in value)

    def check(self, value: object, where: str) -> None:
        if not isinstance(value, list) or (self.size and len(value) != self.size):
            raise InvalidParameterError(f"{where} = {value!r}: give {self.what}")
        for i, v in enumerate(value):
            self.item.check(v, f"{where}[{i}]")

    def schema(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array", "items": self.item.schema()}
        if self.size:
            out["minItems"] = out["maxItems"] = self.size
        return out


@dataclass(frozen=True)
class OneOf(Shape):
    """Any of several shapes."""

    options: tuple[Shape, ...]

    @property
    def what(self) -> str:  # type: ignore[override]
        return " or ".join(o.what for o in self.options)

    def ok(self, value: object) -> bool:
        return any(o.ok(value) for o in self.options)

    def check(self, value: object, where: str) -> None:
        if self.ok(value):
            return
        tables = [o for o in self.options if isinstance(o, Table)]
        if isinstance(value, Mapping) and len(tables) == 1:
            tables[0].check(value, where)  # the table's own message is the precise one
        raise InvalidParameterError(f"{where} = {value!r}: give {self.what}")

    def schema(self) -> dict[str, Any]:
        return {"anyOf": [o.schema() for o in self.options]}


@dataclass(frozen=True)
class Table(Shape):
    """A table with known keys (others are errors), some required; or a map of ``values``."""

    keys: Mapping[str, Shape] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    values: Shape | None = None  # a map: any key, each value of this shape
    hint: str = ""

    @property
    def what(self) -> str:  # type: ignore[override]
        if self.hint:
            return self.hint
        if self.values is not None:
            return "a table"
        return "a table with keys " + ", ".join(sorted(self.keys))

    def ok(self, value: object) -> bool:
        try:
            self.check(value, "")
        except InvalidParameterError:
            return False
        return True

    def check(self, value: object, where: str) -> None:
        from wfpsim.checking import check_keys

        if not isinstance(value, Mapping):
            raise InvalidParameterError(f"{where or 'it'} = {value!r}: give {self.what}")
        # an entry's label ("[[filter]]") names it in messages, not in the keys' paths
        prefix = "" if not where or where.startswith("[[") else f"{where}."
        if self.values is not None:
            for k, v in value.items():
                self.values.check(v, f"{prefix}{k}")
            return
        check_keys(value, set(self.keys), where or "the table")
        for key in self.required:
            if key not in value:
                raise InvalidParameterError(f"missing required key {key!r}")
        for key, v in value.items():
            self.keys[key].check(v, f"{prefix}{key}")

    def schema(self) -> dict[str, Any]:
        if self.values is not None:
            return {"type": "object", "additionalProperties": self.values.schema()}
        out: dict[str, Any] = {
            "type": "object",
            "properties": {k: s.schema() for k, s in self.keys.items()},
            "additionalProperties": False,
        }
        if self.required:
            out["required"] = list(self.required)
        return out


TEXT = Str()
NAME = Str(hint="a name (a string)")
GUID = Str(
    pattern=r"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$",
    hint="a GUID '{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}'",
)
LAYER = OneOf((Str(hint="a layer name or GUID"), Int(0, 0xFFFF, text=True)))
FUNCTION = Str(pattern=FUNCTION_TEXT, hint="'package.module:function' (a string)")
SCALAR = OneOf((Int(-(2**63), 2**64 - 1), Str()))
TYPED_VALUE = Table({"type": Str(hint="an FWP_* type name"), "value": SCALAR}, ("type", "value"))
CONDITION_VALUE = OneOf((SCALAR, ListOf(SCALAR, 2), TYPED_VALUE))
ACTIONS = (
    "PERMIT",
    "BLOCK",
    "CALLOUT_TERMINATING",
    "CALLOUT_INSPECTION",
    "CALLOUT_UNKNOWN",
)

SUBLAYER = Table(
    {"name": NAME, "weight": Int(0, 0xFFFF, text=True), "key": GUID, "description": TEXT},
    ("name",),
)
CALLOUT = Table(
    {
        "name": NAME,
        "layer": LAYER,
        "key": GUID,
        "description": TEXT,
        "classify": FUNCTION,
        "notify": FUNCTION,
        "flow_delete": FUNCTION,
        "returns": Str(("PERMIT", "BLOCK", "CONTINUE", "NOTHING")),
        "clear_write_right": Bool(),
        "respect_write_right": Bool(),
        "absorb": Bool(),
        "registered": Bool(),
    },
    ("name", "layer"),
)
FILTER = Table(
    {
        "name": NAME,
        "layer": LAYER,
        "sublayer": Str(hint="a sublayer's name or GUID"),
        "weight": OneOf((Int(0, 2**64 - 1, text=True), Table({"range": Int(0, 0xFF)}, ("range",)))),
        "action": Str(hint="an action name: " + ", ".join(ACTIONS)),
        "callout": Str(hint="a callout's name or GUID"),
        "flags": OneOf((Str(), ListOf(Str()), Int(0, 0xFFFFFFFF))),
        "conditions": ListOf(
            Table(
                {"field": Str(), "match": Str(hint="a match type name"), "value": CONDITION_VALUE},
                ("field",),
            )
        ),
        "key": GUID,
        "description": TEXT,
    },
    ("name", "layer"),
)
CLASSIFY_EXPECT = Table(
    {
        "action": Str(hint="an action name"),
        "filter": TEXT,
        "veto": Bool(),
        "absorbed": Bool(),
        "callouts_invoked": ListOf(Str()),
        "sublayers": ListOf(Table({"sublayer": TEXT, "action": TEXT, "filter": TEXT})),
        "explains": TEXT,
    }
)
CLASSIFY = Table(
    {
        "layer": LAYER,
        "values": Table(values=CONDITION_VALUE),
        "name": TEXT,
        "expect": CLASSIFY_EXPECT,
        "unregister": ListOf(Str()),
    },
    ("layer",),
)
TRAFFIC = Table(
    {
        "kind": Str(("tcp", "udp", "icmp")),
        "direction": Str(("outbound", "inbound")),
        "local": Str(hint="an endpoint 'a.b.c.d:port' or '[v6]:port'"),
        "remote": Str(hint="an endpoint 'a.b.c.d:port' or '[v6]:port'"),
        "app": TEXT,
        "user": TEXT,
        "package": TEXT,
        "listening": Bool(),
        "payload": OneOf((Str(), ListOf(Str()))),
        "name": TEXT,
        "expect": Table(
            {
                "verdict": Str(("PERMIT", "BLOCK", "DROP")),
                "decided_at": TEXT,
                "decided_by": TEXT,
                "layers": ListOf(Str()),
                "log": OneOf((Str(), ListOf(Str()))),
                "faults": ListOf(Str()),
                "injections": Int(0, 0xFFFF),
                "redirects": Int(0, 0xFFFF),
                "pends": Int(0, 0xFFFF),
                "duration": Int(0, 86400),
                "delivered": TEXT,
                "held": Int(0, 0xFFFF),
            }
        ),
    },
    ("kind", "direction", "local", "remote"),
)
DRIVER = Table({"load": FUNCTION, "name": TEXT}, ("load",))
SECTIONS: dict[str, Table] = {
    "sublayer": SUBLAYER,
    "callout": CALLOUT,
    "filter": FILTER,
    "classify": CLASSIFY,
    "traffic": TRAFFIC,
    "driver": DRIVER,
}
TOP = Table(
    {
        "title": TEXT,
        "description": TEXT,
        "auditing": Bool(),
        "allow_events": Bool(),
        **{name: ListOf(shape) for name, shape in SECTIONS.items()},
    }
)


def json_schema() -> dict[str, Any]:
    """The scenario format as a JSON Schema (draft 2020-12), built from the shapes above."""
    doc = TOP.schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://wfpsim.invalid/scenario.schema.json",
        "title": "wfpsim scenario file",
        "description": "A WFP policy and what to run against it (docs/scenario-format.md).",
        **doc,
    }


SCHEMA_FILE = "schema/scenario.schema.json"


def schema_text() -> str:
    """The shipped schema file's text (``python -m wfpsim.scenario_shape`` rewrites it)."""
    import json

    return json.dumps(json_schema(), indent=2) + "\n"


if __name__ == "__main__":  # python -m wfpsim.scenario_shape: rewrite the shipped schema
    from pathlib import Path

    target = Path(__file__).parent / SCHEMA_FILE
    target.parent.mkdir(exist_ok=True)
    target.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {target}")
