"""``wfpsim draw FILE [--layer L] --out OUT.svg|.png|.dot``: a scenario's weight graph as a file.

:func:`draw_command` does the work and returns the exit status (0 written, 2 bad input), ready
to be called from the ``wfpsim`` command; :func:`main` is the same as a stand-alone command
(``python -m wfpsim.viz.cli arbitration-example --out weights.svg``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wfpsim.errors import InvalidParameterError, WfpError
from wfpsim.outputs import check_out
from wfpsim.viz.svg import SUFFIXES, check_suffix
from wfpsim.viz.weights import weight_graph


def draw_command(scenario: str, layer: str | None, out: str, *, parents: bool = False) -> int:
    """Draw a scenario's weight graph and save it to ``out`` (``.svg``, ``.png`` or ``.dot``).

    Args:
        scenario: a scenario file, a built-in scenario's name (``wfpsim examples``), or a
            ``netsh wfp show state`` / ``show filters`` XML dump (``.xml``).
        layer: one layer to draw, or None for every layer holding filters.
        out: the file to write; its suffix chooses the format.
        parents: create ``out``'s missing parent folders (otherwise they are an error).

    Returns:
        0 when the file was written; 2 for a bad scenario, layer, suffix or output path, or
        no ``dot`` (the reason is printed to standard error).

    Drawing reads the policy only: the Python modules a scenario names (callouts, drivers)
    are not imported, so nothing of the scenario's code runs.
    """
    from wfpsim.netsh import load_netsh
    from wfpsim.runner import build, find
    from wfpsim.scenario import load

    try:
        check_out(out, parents=parents)
        check_suffix(out)
        if scenario.lower().endswith(".xml"):
            # a real machine's `netsh wfp show state` / `show filters` dump
            engine, report = load_netsh(scenario)
            if report.summary_line():
                print(report.summary_line(), file=sys.stderr)
        else:
            engine = build(load(find(scenario)), run_code=False)
        whole_dump = layer is None and scenario.lower().endswith(".xml")
        try:
            if whole_dump:  # a whole machine: the overview (per-layer graphs with --layer)
                from wfpsim.viz.overview import machine_overview

                path = machine_overview(engine, f"{scenario}").save(out)
            else:
                path = weight_graph(engine, layer).save(out)
        except OSError as err:
            raise InvalidParameterError(f"--out {out}: cannot write it ({err.strerror})") from None
    except WfpError as err:
        print(f"wfpsim: {err}", file=sys.stderr)
        return 2
    if whole_dump:
        print(f"wrote {path} (overview of {scenario}: every layer and sublayer holding filters)")
    else:
        where = f"layer {layer}" if layer else "every layer with filters"
        print(f"wrote {path} (weight graph of {scenario}, {where})")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``draw`` command's arguments: ``scenario``, ``--layer``, ``--out``."""
    parser.add_argument(
        "scenario",
        help="a .toml scenario, a built-in name (`wfpsim examples`) or a netsh .xml dump",
    )
    parser.add_argument("--layer", help="one layer to draw (default: every layer with filters)")
    parser.add_argument(
        "--out", required=True, help=f"the file to write: {', '.join(SUFFIXES)} by its suffix"
    )
    parser.add_argument(
        "--parents", action="store_true", help="create the --out file's missing parent folders"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m wfpsim.viz.cli FILE [--layer L] --out OUT``."""
    parser = argparse.ArgumentParser(
        prog="wfpsim draw", description="draw a scenario's weight graph"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    return draw_command(args.scenario, args.layer, args.out, parents=args.parents)


if __name__ == "__main__":
    raise SystemExit(main())
