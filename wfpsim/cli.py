"""The ``wfpsim`` command: a table of subcommands, each importing only what it uses.

``wfpsim layers`` lists every layer; ``wfpsim layer NAME [--json]`` shows one layer and its
fields (NAME: short name, full ``FWPM_LAYER_*`` name, GUID or run-time id).
``wfpsim exercise …`` grades the classroom exercises (its arguments belong to
:func:`wfpsim.exercise.exercise_command`). ``wfpsim run FILE [--json]`` runs a scenario;
``wfpsim examples`` lists the built-in ones.
``wfpsim draw FILE [--layer L] --out OUT.svg|.png`` draws a weight graph (FILE may also be a
``netsh wfp show state`` XML dump); ``wfpsim animate FILE --traffic N --out OUT.html`` exports
one traffic entry's journey as a page that animates in any browser without a kernel.

Exit statuses (every subcommand, :data:`EXIT_STATUSES`):

- 0 success;
- 1 a scenario expectation failed (or could not be checked because the scenario's own code
  faulted) — ``wfpsim run`` never exits 0 with an expectation unchecked;
- 2 invalid input: a file, an argument or a value, named with the entry and line where known;
- 3 an internal error, a bug in wfpsim: one line asking for a report, then the traceback.

No other path prints a traceback. Each command's handler imports its modules itself, so
``wfpsim layers`` loads neither the drawing code, the dump importer, the runner nor the stack.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# The analyst's commands (import, explain, lint, diff): their arguments import nothing heavy.
from wfpsim.analysis.commands import COMMANDS as ANALYSIS
from wfpsim.catalog import Layer, layer, layers
from wfpsim.errors import WfpError
from wfpsim.report import text_table

#: What each exit status means.
EXIT_STATUSES = {
    0: "success",
    1: "a scenario expectation failed (or its own code faulted, so it could not be checked)",
    2: "invalid input (file, arguments, values)",
    3: "internal error (a bug in wfpsim: please report it)",
}


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


# --- the commands: arguments (cheap, no imports) and handlers (import what they use) ---------


def _layers_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")


def _layers(args: argparse.Namespace) -> int:
    if args.json:
        doc = [{k: v for k, v in layer_json(la).items() if k != "fields"} for la in layers()]
        print(json.dumps(doc, indent=2))
    else:
        print(layers_text())
    return 0


def _layer_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="short name, FWPM_LAYER_* name, GUID or run-time id")
    p.add_argument("--json", action="store_true", help="print JSON")


def _layer(args: argparse.Namespace) -> int:
    key: str | int = int(args.name) if args.name.isdigit() else args.name
    la = layer(key)
    print(json.dumps(layer_json(la), indent=2) if args.json else layer_text(la))
    return 0


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a .toml file, or a built-in name (`wfpsim examples`)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--pcap",
        metavar="DIR",
        help="also write each traffic entry's packets to DIR/<scenario>-<n>.pcapng (Wireshark)",
    )


def _run(args: argparse.Namespace) -> int:
    from wfpsim.runner import report_json, report_text, run, save_pcaps

    result = run(args.scenario)
    if args.json:
        print(json.dumps(report_json(result), indent=2))
    else:
        print(report_text(result))
    if args.pcap:
        written = save_pcaps(result, args.pcap)
        print(f"wrote {len(written)} pcapng file(s) to {args.pcap}", file=sys.stderr)
    return 0 if result.ok else 1


def _examples(args: argparse.Namespace) -> int:
    from wfpsim.runner import builtin_scenarios
    from wfpsim.scenario import load

    for name, path in sorted(builtin_scenarios().items()):
        print(f"{name:28} {load(path).title}")
    return 0


def _out_args(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--out", required=True, help=what)
    p.add_argument(
        "--parents",
        action="store_true",
        help="create the --out file's missing parent folders (default: refuse a missing folder)",
    )


def _draw_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scenario",
        help="a .toml scenario, a built-in name (`wfpsim examples`) or a netsh .xml dump",
    )
    p.add_argument("--layer", help="one layer to draw (default: every layer with filters)")
    _out_args(p, "the file to write: .svg, .png or .dot by its suffix")


def _draw(args: argparse.Namespace) -> int:
    from wfpsim.viz.cli import draw_command

    return draw_command(args.scenario, args.layer, args.out, parents=args.parents)


def _animate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="a .toml file, or a built-in name (`wfpsim examples`)")
    p.add_argument("--traffic", type=int, default=0, help="which [[traffic]] entry (from 0)")
    _out_args(p, "the .html file to write")


def _animate(args: argparse.Namespace) -> int:
    from wfpsim.outputs import check_out
    from wfpsim.viz.export import animate_command

    check_out(args.out, parents=args.parents)
    return int(animate_command(args.scenario, args.traffic, args.out))


def _exercise(args: argparse.Namespace) -> int:
    # The exercise commands own their arguments: wfpsim.exercise builds its own parser.
    from wfpsim.exercise import exercise_command

    return int(exercise_command(args.rest))


@dataclass(frozen=True, slots=True)
class Command:
    """One ``wfpsim`` subcommand: its help line, its arguments and what it runs.

    ``arguments`` adds the command's arguments to its parser without importing anything;
    ``handler`` imports what the command needs and returns the exit status. A command that
    ``delegates`` gets every argument after its name, unparsed, in ``args.rest`` (it parses
    them itself, as ``wfpsim exercise`` does with its own argparse setup).
    """

    help: str
    arguments: Callable[[argparse.ArgumentParser], None] | None
    handler: Callable[[argparse.Namespace], int]
    delegates: bool = False


COMMANDS: dict[str, Command] = {
    "layers": Command("list every WFP layer", _layers_args, _layers),
    "layer": Command("show one layer and its fields", _layer_args, _layer),
    "run": Command("run a scenario file (or a built-in scenario)", _run_args, _run),
    "examples": Command("list the built-in scenarios", None, _examples),
    "exercise": Command(
        "list, check (and more) the classroom exercises (`wfpsim exercise -h`)",
        None,
        _exercise,
        delegates=True,
    ),
    "draw": Command("draw a scenario's (or a netsh dump's) weight graph", _draw_args, _draw),
    **{
        name: Command(help_line, arguments, handler)
        for name, (help_line, arguments, handler) in ANALYSIS.items()
    },
    "animate": Command(
        "export a scenario's traffic as an animated HTML page", _animate_args, _animate
    ),
}


def parser() -> argparse.ArgumentParser:
    """The ``wfpsim`` argument parser, built from :data:`COMMANDS` (imports nothing)."""
    epilog = "exit status: " + "; ".join(f"{k} {v}" for k, v in EXIT_STATUSES.items())
    top = argparse.ArgumentParser(
        prog="wfpsim", description="Windows Filtering Platform simulator", epilog=epilog
    )
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, cmd in COMMANDS.items():
        if cmd.delegates:
            p = sub.add_parser(name, help=cmd.help, add_help=False)
            p.add_argument("rest", nargs=argparse.REMAINDER)
            continue
        p = sub.add_parser(name, help=cmd.help, description=cmd.help, epilog=epilog)
        if cmd.arguments is not None:
            cmd.arguments(p)
    return top


def _dispatch(argv: list[str]) -> int:
    top = parser()
    args, extra = top.parse_known_args(argv)
    cmd = COMMANDS[args.command]
    if cmd.delegates:
        # options before the first positional land in `extra`; their order is kept
        args.rest = extra + args.rest
    elif extra:
        top.error(f"unrecognized arguments: {' '.join(extra)}")
    return cmd.handler(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wfpsim`` command; returns the exit status (see the module doc)."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    try:
        return _dispatch(args_in)
    except WfpError as err:
        print(f"wfpsim: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `wfpsim layers | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("wfpsim: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise  # argparse's own exits (status 2 for bad arguments, 0 for --help)
    except Exception:
        print(
            "wfpsim: internal error — this is a bug in wfpsim; please report it to the "
            "project's issue tracker with the command you ran and the traceback below",
            file=sys.stderr,
        )
        traceback.print_exc(file=sys.stderr)
        return 3


if __name__ == "__main__":
    raise SystemExit(main())
