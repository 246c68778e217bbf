"""The text views of a journey step (``wfpsim.stack.inspect``)."""

from __future__ import annotations

import re

from wfpsim import Engine
from wfpsim.stack import Stack
from wfpsim.stack.inspect import fields_text, step_report


def test_step_report_lists_every_field_index_with_unset_ones_as_fwp_empty() -> None:
    """No index is skipped: a field the layer left unset reads FWP_EMPTY, as a callout finds it."""
    journey = Stack(Engine()).run("udp", "outbound", "10.0.0.5:0", "8.8.8.8:53", payload=["hi"])
    step = journey.at("OUTBOUND_TRANSPORT_V4")
    lines = fields_text(step)
    fields = step.in_fixed_values.fields
    indexes = [int(re.match(r"\s*\[\s*(\d+)\]", line).group(1)) for line in lines]  # type: ignore[union-attr]
    assert indexes == [f.index for f in fields] == list(range(len(fields)))
    empty = [f for f in fields if step.in_fixed_values.incoming_value[f.index].value.is_empty]
    assert empty, "this step should leave at least one field unset"
    for f in empty:
        assert f"[{f.index:>2}] {f.name} = FWP_EMPTY" in lines[f.index]
    report = step_report(step)
    assert f"{len(fields) - len(empty)} of {len(fields)} fields set" in report
    assert "= 53 (0x35)" in report
