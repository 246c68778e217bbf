"""The ``wfpsim`` command.

``wfpsim layers`` lists every layer; ``wfpsim layer NAME [--json]`` shows one layer and its
fields (NAME: short name, full ``FWPM_LAYER_*`` name, GUID or run-time id).
``wfpsim exercise list [--json]`` / ``wfpsim exercise check ID [--solution]`` grade the
classroom exercises. ``wfpsim run FILE [--json]`` runs a scenario; ``wfpsim examples`` lists
the built-in ones.
``wfpsim draw FILE [--layer L] --out OUT.svg|.png`` draws a weight graph (FILE may also be a
``netsh wfp show state`` XML dump); ``wfpsim animate FILE --traffic N --out OUT.html`` exports
one traffic entry's journey as a page that animates in any browser without a kernel.
Exit status: 0 success, 1 a scenario expectation failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Sequence

from wfpsim.catalog import Layer, layer, layers
from wfpsim.errors import WfpError
from wfpsim.report import text_table
from wfpsim.runner import builtin_scenarios, report_json, report_text, run
from wfpsim.scenario import load


def layer_json(la: Layer) -> dict[str, object]:
    """The ``wfpsim layer --json`` document for one layer."""
    return {
        "name": la.name,
        "guid": str(la.guid),
        "id": la.id,
        "short_name": la.short_name,
        "kind": la.kind.value,
        "direction": la.direction.name.lower(),
        "discard": la.discard,
        "twin": la.twin,
        "since": la.since,
        "documented": la.documented,
        "fields": [
            {
                "index": f.index,
                "name": f.name,
                "condition": f.condition,
                "condition_guid": str(f.condition_guid) if f.condition_guid else None,
                "type": f.type.fwp_name if f.type else None,
            }
            for f in la.fields
        ],
    }


def layer_text(la: Layer) -> str:
    """The readable ``wfpsim layer`` report."""
    head = [
        f"{la.name}  (run-time id {la.id if la.id is not None else 'none'}: {la.runtime_name})",
        f"  GUID       {{{la.guid}}}",
        f"  kind       {la.kind.value}{' — discard layer' if la.discard else ''}",
        f"  direction  {la.direction.value}",
    ]
    if la.twin:
        head.append(f"  twin       {la.twin}")
    head.append(
        f"  since      Windows SDK {la.since}" if la.since else "  since      (no SDK names it)"
    )
    if la.note:
        head.append(f"  note       {la.note}")
    if not la.fields:
        return "\n".join([*head, "", "  (no fields: reserved or internal layer)"])
    rows = [("index", la.fields_enum or "field", "condition", "type")]
    rows += [
        (str(f.index), f.name, f.condition or "(reserved)", f.type.fwp_name if f.type else "-")
        for f in la.fields
    ]
    return "\n".join([*head, "", text_table(rows)])


def layers_text() -> str:
    """The readable ``wfpsim layers`` table."""
    rows = [("id", "layer", "kind", "direction", "fields")]
    rows += [
        (
            "-" if la.id is None else str(la.id),
            la.short_name,
            la.kind.value + (" (discard)" if la.discard else ""),
            la.direction.value,
            str(len(la.fields)),
        )
        for la in layers()
    ]
    return text_table(rows)


def _run(name: str, as_json: bool) -> int:
    result = run(name)
    if as_json:
        print(json.dumps(report_json(result), indent=2))
    else:
        print(report_text(result))
    return 0 if result.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wfpsim`` command."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["exercise"]:
        # `wfpsim exercise list [--json]` / `wfpsim exercise check ID [--solution]`
        from wfpsim.exercise import exercise_command

        return exercise_command(args_in[1:])
    parser = argparse.ArgumentParser(
        prog="wfpsim", description="Windows Filtering Platform simulator"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_layers = sub.add_parser("layers", help="list every WFP layer")
    p_layers.add_argument("--json", action="store_true", help="print JSON")
    p_layer = sub.add_parser("layer", help="show one layer and its fields")
    p_layer.add_argument("name", help="short name, FWPM_LAYER_* name, GUID or run-time id")
    p_layer.add_argument("--json", action="store_true", help="print JSON")
    p_run = sub.add_parser("run", help="run a scenario file (or a built-in scenario)")
    p_run.add_argument("scenario", help="a .toml file, or a built-in name (`wfpsim examples`)")
    p_run.add_argument("--json", action="store_true", help="print JSON")
    sub.add_parser("examples", help="list the built-in scenarios")
    sub.add_parser("exercise", help="list or check the classroom exercises (`wfpsim exercise -h`)")
    # Drawing lives in wfpsim.viz (imported only when a drawing command runs).
    viz_cli = importlib.import_module("wfpsim.viz.cli")
    p_draw = sub.add_parser("draw", help="draw a scenario's (or a netsh dump's) weight graph")
    viz_cli.add_arguments(p_draw)
    p_anim = sub.add_parser("animate", help="export a scenario's traffic as an animated HTML page")
    p_anim.add_argument("scenario", help="a .toml file, or a built-in name (`wfpsim examples`)")
    p_anim.add_argument("--traffic", type=int, default=0, help="which [[traffic]] entry (from 0)")
    p_anim.add_argument("--out", required=True, help="the .html file to write")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return _run(args.scenario, args.json)
        if args.command == "draw":
            return int(viz_cli.draw_command(args.scenario, args.layer, args.out))
        if args.command == "animate":
            viz_export = importlib.import_module("wfpsim.viz.export")
            return int(viz_export.animate_command(args.scenario, args.traffic, args.out))
        if args.command == "examples":
            for name, path in sorted(builtin_scenarios().items()):
                print(f"{name:28} {load(path).title}")
            return 0
        if args.command == "layers":
            if args.json:
                doc = [
                    {k: v for k, v in layer_json(la).items() if k != "fields"} for la in layers()
                ]
                print(json.dumps(doc, indent=2))
            else:
                print(layers_text())
            return 0
        key: str | int = int(args.name) if args.name.isdigit() else args.name
        la = layer(key)
        print(json.dumps(layer_json(la), indent=2) if args.json else layer_text(la))
        return 0
    except WfpError as err:
        print(f"wfpsim: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `wfpsim layers | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
