"""Scenario entries that make traffic: ``[[traffic]]`` flows and ``[[driver]]`` drivers.

```toml
auditing = true                         # optional: Security-log audit events (5152-5159)

[[driver]]                              # loaded before the traffic, unloaded after it
load = "wfpsim.examples.starter_kit:StarterKitDriver"

[[traffic]]
kind = "tcp"                            # tcp | udp | icmp
direction = "outbound"                  # outbound: this host opens it; inbound: a peer does
local = "10.0.0.5:0"                    # port 0: the stack picks one; "[v6]:port"; icmp: "addr"
remote = "93.184.216.34:80"             # any 127.0.0.0/8 or ::1 address is loopback
app = 'C:\\Tools\\curl.exe'             # optional ALE_APP_ID path, and user (a SID)
package = "S-1-15-2-1-2-3-4-5-6-7"      # optional: an AppContainer package SID (ALE_PACKAGE_ID)
listening = true                        # does the receiving side listen (default true)
payload = ["GET / HTTP/1.1"]            # each one a send by the opener
expect = { verdict = "PERMIT" }         # optional: verdict, decided_at, decided_by, layers, log,
                                        # faults (texts; [] for none), injections and
                                        # redirects (counts of injections / bind and connect
                                        # redirections made, loops refused included), pends
                                        # (how many classifications callouts pended), duration
                                        # (simulated seconds, first step to last),
                                        # delivered (the stream bytes the peer got), held (how
                                        # often the stream layer held data for NEED_MORE_DATA)
```
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wfpsim.checking import check_function_ref, check_keys, check_type
from wfpsim.errors import InvalidParameterError

TRAFFIC_KEYS = {
    "kind",
    "direction",
    "local",
    "remote",
    "app",
    "user",
    "package",
    "listening",
    "payload",
    "name",
    "expect",
}
TRAFFIC_EXPECT_KEYS = {
    "verdict",
    "decided_at",
    "decided_by",
    "layers",
    "log",
    "faults",
    "injections",
    "redirects",
    "pends",
    "duration",
    "delivered",
    "held",
}
DRIVER_KEYS = {"load", "name"}
KINDS = ("tcp", "udp", "icmp")
DIRECTIONS = ("outbound", "inbound")
VERDICTS = ("PERMIT", "BLOCK", "DROP")


@dataclass(frozen=True, slots=True)
class TrafficSpec:
    """One ``[[traffic]]`` entry: its own flow."""

    index: int
    kind: str
    direction: str
    local: str
    remote: str
    app: str | None = None
    user: str | None = None
    listening: bool = True
    payload: tuple[str, ...] = ()
    name: str = ""
    expect: Mapping[str, Any] = field(default_factory=dict)
    package: str | None = None


@dataclass(frozen=True, slots=True)
class DriverSpec:
    """One ``[[driver]]`` entry: a class or function taking the engine and returning an
    object with ``driver_entry()`` and ``unload()`` (named here, imported by a run)."""

    name: str
    #: ``"package.module:Class"``, imported only when the scenario runs
    load: str
    index: int = 0


def parse_traffic(index: int, entry: Mapping[str, Any]) -> TrafficSpec:
    """Check one ``[[traffic]]`` table.

    Raises:
        InvalidParameterError: a bad kind, direction, endpoint, flag or payload.
    """
    from wfpsim.stack.host import check_package, parse_endpoint

    check_keys(entry, TRAFFIC_KEYS, "[[traffic]]")
    for key in ("kind", "direction", "local", "remote"):
        if key not in entry:
            raise InvalidParameterError(f"missing required key {key!r}")
    kind, direction = str(entry["kind"]).lower(), str(entry["direction"]).lower()
    if kind not in KINDS:
        raise InvalidParameterError(f"kind = {entry['kind']!r}; valid: {', '.join(KINDS)}")
    if direction not in DIRECTIONS:
        raise InvalidParameterError(f"direction = {entry['direction']!r}; valid: outbound, inbound")
    local, remote = (
        parse_endpoint(str(entry["local"]), kind),
        parse_endpoint(str(entry["remote"]), kind),
    )
    if kind in ("tcp", "udp") and not re.search(r":\d+$", str(entry["remote"]).strip()):
        raise InvalidParameterError(
            f"remote = {entry['remote']!r} has no port; {kind} needs one: 'a.b.c.d:port' or "
            "'[v6addr]:port'"
        )
    if local.version != remote.version:
        raise InvalidParameterError(
            f"local {entry['local']!r} and remote {entry['remote']!r} mix IPv4 and IPv6"
        )
    listening = entry.get("listening", True)
    if not isinstance(listening, bool):
        raise InvalidParameterError(f"listening = {listening!r} must be true or false")
    payload = entry.get("payload", [])
    if isinstance(payload, str):
        payload = [payload]
    if not isinstance(payload, Sequence) or not all(isinstance(p, str) for p in payload):
        raise InvalidParameterError(f"payload = {payload!r}: give a string or a list of strings")
    expect = entry.get("expect", {})
    if not isinstance(expect, Mapping) or set(expect) - TRAFFIC_EXPECT_KEYS:
        raise InvalidParameterError(
            f"expect = {expect!r}; valid keys: {', '.join(sorted(TRAFFIC_EXPECT_KEYS))}"
        )
    if "verdict" in expect and str(expect["verdict"]).upper() not in VERDICTS:
        raise InvalidParameterError(
            f"expect.verdict = {expect['verdict']!r}; valid: {', '.join(VERDICTS)}"
        )
    return TrafficSpec(
        index,
        kind,
        direction,
        str(entry["local"]),
        str(entry["remote"]),
        entry.get("app"),
        entry.get("user"),
        listening,
        tuple(payload),
        str(entry.get("name", "")),
        dict(expect),
        check_package(entry.get("package")) or None,
    )


def parse_driver(index: int, entry: Mapping[str, Any]) -> DriverSpec:
    """Check one ``[[driver]]`` table (its ``load`` reference is checked, not imported)."""
    check_keys(entry, DRIVER_KEYS, "[[driver]]")
    if "load" not in entry:
        raise InvalidParameterError("missing required key 'load' (e.g. 'package.module:Driver')")
    load = check_function_ref(entry["load"], "load")
    name = check_type(entry.get("name", load), str, "name")
    return DriverSpec(name, load, index)


def check_traffic(journey_json: Mapping[str, Any], expect: Mapping[str, Any]) -> tuple[str, ...]:
    """The expectations a journey fails (``log``: lines that must appear, in order)."""
    failures = []
    for key, want in expect.items():
        have = journey_json[key]
        if key == "verdict":
            want = str(want).upper()
        if key == "log":
            want = [want] if isinstance(want, str) else list(want)
            missing = [w for w in want if w not in have]
            if missing:
                failures.append(f"expected log lines {missing!r}")
            continue
        if key == "faults":  # texts each found in some fault; [] means none
            lacking = [w for w in want if not any(str(w) in f for f in have)]
            if lacking or (not want and have):
                failures.append(f"expected faults mentioning {list(want)!r}, got {have!r}")
            continue
        if key in ("injections", "redirects", "pends"):  # how many were made
            have = len(have)
        if key == "layers":
            want = [str(w).removeprefix("FWPM_LAYER_") for w in want]
        if have != want:
            failures.append(f"expected {key} = {want!r}, got {have!r}")
    return tuple(failures)
