"""The analyst's commands: ``wfpsim import``, ``explain``, ``lint`` and ``diff``.

Each takes a policy — a real machine's ``netsh wfp show state`` dump (``.xml``), a scenario file,
or a built-in scenario's name — and prints text, or JSON with ``--json``. Whenever a dump is read
and anything in it was skipped, the import summary's one line goes to standard error, so no
answer silently rests on a partial policy. Reading a scenario for ``lint``/``diff``/``explain
--filter-id`` runs none of its Python code; explaining a flow runs its traffic, as ``wfpsim run``
does.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfpsim.analysis.whatif import MODES
from wfpsim.errors import InvalidParameterError

if TYPE_CHECKING:
    from wfpsim.engine import Engine

__all__ = ["COMMANDS", "load_policy"]


def load_policy(source: str, callouts: str = "unknown", run_code: bool = False) -> Engine:
    """An engine holding a dump's or a scenario's policy (a dump's skips reported on stderr)."""
    if source.lower().endswith(".xml"):
        from wfpsim.netsh import load_netsh

        engine, report = load_netsh(source, callouts=callouts)
        line = report.summary_line()
        if line:
            print(line, file=sys.stderr)
        return engine
    from wfpsim.runner import build, find
    from wfpsim.scenario import load

    return build(load(find(source)), run_code=run_code)


def _print(doc: Any, text: str, as_json: bool) -> None:
    print(json.dumps(doc, indent=2, ensure_ascii=False) if as_json else text)


# import --------------------------------------------------------------------------------------
def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dump", help="a `netsh wfp show state` (or `show filters`) XML file")
    p.add_argument("--json", action="store_true", help="print JSON")


def _import(args: argparse.Namespace) -> int:
    from wfpsim.netsh import load_netsh

    _engine, report = load_netsh(args.dump)
    _print(report.to_json(), str(report), args.json)
    return 0


# explain -------------------------------------------------------------------------------------
def _explain_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", help="a netsh .xml dump, a .toml scenario or a built-in name")
    what = p.add_argument_group("what to explain (a flow unless --filter-id or --events)")
    what.add_argument("--filter-id", type=int, help="a filter's run-time id (events 5152/5157)")
    what.add_argument("--events", help="`netsh wfp show netevents` XML: explain each drop")
    flow = p.add_argument_group("a flow")
    flow.add_argument("--kind", choices=("tcp", "udp", "icmp"), default="tcp")
    flow.add_argument("--direction", choices=("outbound", "inbound"), default="outbound")
    flow.add_argument("--local", help="ADDR:PORT on this machine (port 0: any)")
    flow.add_argument("--remote", help="ADDR:PORT of the peer")
    flow.add_argument("--app", help="the application's path (ALE_APP_ID)")
    flow.add_argument("--user", help="the user's SID (ALE_USER_ID)")
    flow.add_argument("--package", help="the AppContainer package SID (ALE_PACKAGE_ID)")
    flow.add_argument("--payload", action="append", default=[], help="data to send (repeat)")
    flow.add_argument("--no-listener", action="store_true", help="inbound: nothing listens")
    p.add_argument(
        "--callouts",
        choices=MODES,
        default="unknown",
        help="what unknown drivers' callouts answer: unknown (try every answer: DEPENDS), "
        "permit, block, or unregistered",
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _explain(args: argparse.Namespace) -> int:
    if args.filter_id is not None and args.events:
        raise InvalidParameterError("give --filter-id or --events, not both")
    is_flow = args.filter_id is None and not args.events
    engine = load_policy(args.policy, callouts=args.callouts, run_code=is_flow)
    if args.filter_id is not None:
        from wfpsim.analysis.filters import explain_filter

        found = explain_filter(engine, args.filter_id)
        _print(found.to_json(), found.text(), args.json)
        return 0
    if args.events:
        from wfpsim.analysis.events import explain_events, read_netevents

        explained = explain_events(engine, read_netevents(Path(args.events)))
        text = "\n\n".join(e.text() for e in explained) or "no classify-drop events in the file"
        _print([e.to_json() for e in explained], text, args.json)
        return 0
    if not args.local or not args.remote:
        raise InvalidParameterError(
            "explaining a flow needs --local ADDR:PORT and --remote ADDR:PORT "
            "(or give --filter-id N or --events FILE)"
        )
    from wfpsim.analysis.flows import explain_flow

    flow = explain_flow(
        engine,
        args.kind,
        args.direction,
        args.local,
        args.remote,
        app=args.app,
        user=args.user,
        package=args.package,
        payload=args.payload,
        listening=not args.no_listener,
        callouts=args.callouts,
    )
    _print(flow.to_json(), flow.text(), args.json)
    return 0


# lint ----------------------------------------------------------------------------------------
def _lint_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", help="a netsh .xml dump, a .toml scenario or a built-in name")
    p.add_argument("--layer", help="only this layer")
    p.add_argument("--json", action="store_true", help="print JSON")


def _lint(args: argparse.Namespace) -> int:
    from wfpsim.analysis.lint import lint

    engine = load_policy(args.policy, callouts="unknown")
    findings = lint(engine, args.layer)
    text = "\n".join(str(f) for f in findings) or "no filter found that never takes effect"
    _print([f.to_json() for f in findings], text, args.json)
    return 0


# diff ----------------------------------------------------------------------------------------
def _diff_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("before", help="a netsh .xml dump, a .toml scenario or a built-in name")
    p.add_argument("after", help="the same, after the change")
    p.add_argument(
        "--flows", help="a scenario file whose [[traffic]] entries are run on both sides"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


def _diff(args: argparse.Namespace) -> int:
    from wfpsim.analysis.diff import diff, flows_diff

    before = load_policy(args.before, callouts="unknown")
    after = load_policy(args.after, callouts="unknown")
    result = diff(before, after)
    doc: dict[str, Any] = result.to_json()
    text = result.text()
    if args.flows:
        changes = flows_diff(before, after, args.flows)
        doc["flows"] = changes
        text += "\nflows:\n" + (
            "\n".join(
                f"  {c['flow']}: {c['before']} -> {c['after']}" for c in changes if c["changed"]
            )
            or "  no flow changes verdict"
        )
    _print(doc, text, args.json)
    return 0


#: name → (help, arguments, handler), for the ``wfpsim`` command table.
COMMANDS = {
    "import": ("import a netsh dump and summarise what was imported or skipped", _import_args,
               _import),
    "explain": ("explain a flow, a filter (--filter-id) or drop events (--events) on a machine",
                _explain_args, _explain),
    "lint": ("list filters that never take effect: shadowed, redundant, overridden", _lint_args,
             _lint),
    "diff": ("compare two policies by object key (and, with --flows, their verdicts)",
             _diff_args, _diff),
}  # fmt: skip
