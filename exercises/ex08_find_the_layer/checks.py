"""Public checks of exercise 08: each answer is tried out on the journey it is about.

Every expected answer is found by experiment, not stored: for each layer the journey crosses,
in order, the check puts a filter there (or looks at what the layer is handed) and keeps the
first layer that does what the question asks. A wrong answer gets the result of the same
experiment at the layer given.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from wfpsim import Condition, Engine, Filter, layer
from wfpsim.errors import WfpError
from wfpsim.exercise import expect
from wfpsim.exercise.variants import address_family
from wfpsim.stack import Journey, Stack
from wfpsim.stack.layerdata import ConnectRequest, StreamCalloutIoPacket

ADDRESSES = {
    4: {"host": "10.0.0.5", "peer": "198.51.100.7", "pinged": "8.8.8.8"},
    6: {"host": "[2001:db8::5]", "peer": "[2001:db8::7]", "pinged": "[2001:db8::8]"},
}
#: (does the layer answer the question?, what the experiment showed when it does not)
Trial = tuple[bool, str]


#: The checks read only these answers: they are judged in a process where student.py never ran.
STUDENT_DATA = ("ANSWERS",)


def traffic(key: str, version: int, engine: Engine | None = None, kind: str = "tcp") -> Journey:
    """The journey a question is about, through a fresh stack."""
    a = ADDRESSES[version]
    host, peer = a["host"], a["peer"]
    stack = Stack(engine or Engine())
    if key in ("outbound_tcp_before_syn", "change_destination", "handshake_complete"):
        return stack.run("tcp", "outbound", f"{host}:0", f"{peer}:443")
    if key == "tcp_payload_only":
        return stack.run("tcp", "outbound", f"{host}:0", f"{peer}:443", payload=["GET / HTTP/1.1"])
    if key == "inbound_tcp_with_app":
        return stack.run(kind, "inbound", f"{host}:8443", f"{peer}:51000")
    if key == "syn_to_closed_port":
        return stack.run("tcp", "inbound", f"{host}:81", f"{peer}:51000", listening=False)
    if key == "udp_to_closed_port":
        return stack.run("udp", "inbound", f"{host}:9", f"{peer}:5353", listening=False)
    if key == "first_ping_with_app":
        return stack.run("icmp", "outbound", host.strip("[]"), a["pinged"].strip("[]"))
    raise KeyError(key)


def with_block(key: str, where: str, field: str, value: int, version: int, kind: str) -> Trial:
    """Put one BLOCK filter on ``field == value`` at ``where``; does it stop the journey there
    (before any SYN, for the question that asks so)?"""
    if not layer(where).has_field(field):
        return False, f"{where} has no {field} field: such a filter cannot be added there."
    engine = Engine()
    engine.add_filter(Filter("the filter", where, "BLOCK", [Condition(field, "EQUAL", value)]))
    j = traffic(key, version, engine, kind)
    if where not in j.layers:
        return False, f"this traffic never crosses {where}."
    if j.decided_at != where:
        return False, f"a filter at {where} is asked, but does not stop this traffic."
    if key == "outbound_tcp_before_syn" and any(s.event == "SYN" for s in j.steps):
        return False, f"a filter at {where} stops it, but only once the SYN exists."
    return True, ""


def knows_app(where: str) -> Trial:
    """The layer has the application's identity."""
    if layer(where).has_field("ALE_APP_ID"):
        return True, ""
    return False, f"a filter at {where} stops it, but {where} does not know the application."


def trial(key: str, where: str, version: int = 4, kind: str = "tcp") -> Trial:
    """Does the layer ``where`` answer question ``key``?"""
    if key == "outbound_tcp_before_syn":
        return with_block(key, where, "IP_REMOTE_PORT", 443, version, kind)
    if key == "inbound_tcp_with_app":
        ok, why = with_block(key, where, "IP_LOCAL_PORT", 8443, version, kind)
        return knows_app(where) if ok else (ok, why)
    if key == "first_ping_with_app":
        ok, why = with_block(key, where, "IP_PROTOCOL", 1 if version == 4 else 58, version, kind)
        return knows_app(where) if ok else (ok, why)
    j = traffic(key, version, kind=kind)
    steps = [s for s in j.steps if s.layer == where]
    if not steps:
        return False, f"this traffic never crosses {where}."
    if key in ("syn_to_closed_port", "udp_to_closed_port"):
        if j.decided_at == where:
            return True, ""
        return False, f"it crosses {where}, but is not dropped there."
    found: dict[str, Callable[[object], bool]] = {
        "tcp_payload_only": lambda d: isinstance(d, StreamCalloutIoPacket),
        "change_destination": lambda d: isinstance(d, ConnectRequest),
    }
    if key in found:
        if any(found[key](s.layer_data) for s in steps):
            return True, ""
        kinds = sorted({type(s.layer_data).__name__ for s in steps})
        return False, f"at {where} a callout's layer_data is {' / '.join(kinds)}."
    if any(s.event == "flow established" for s in steps):
        return True, ""
    events = ", ".join(sorted({s.event for s in steps}))
    return False, f"{where} is crossed for: {events}."


def expected(key: str, version: int = 4, kind: str = "tcp") -> str:
    """The first layer the journey crosses that answers the question (by experiment)."""
    crossed = list(dict.fromkeys(traffic(key, version, kind=kind).layers))
    found = [where for where in crossed if trial(key, where, version, kind)[0]]
    if not found:  # the simulator changed: no layer answers any more
        raise RuntimeError(f"checker: no layer answers {key!r} for IPv{version} {kind}")
    return found[0]


def grade(m: ModuleType, keys: list[str], version: int = 0, kind: str = "tcp") -> None:
    """Each answer must be the layer found by experiment; else say what the experiment shows.

    ``version`` 0: the student's variant (IPv4 without a seed; ``wfpsim exercise variant ex08
    --seed ID``), answered with that family's layers; the ping question is always IPv4.
    """
    strict = version == 0
    for key in keys:
        version_asked = version or (4 if key == "first_ping_with_app" else address_family())
        grade_one(m, key, version_asked, kind, strict)


def grade_one(m: ModuleType, key: str, version: int, kind: str, strict: bool) -> None:
    """Grade one answer (``strict``: it must name the variant's family's layer)."""
    given = m.ANSWERS.get(key)
    expect(given is not None, f"{key}: no answer yet.")
    try:
        where = layer(str(given)).short_name
    except WfpError:
        expect(False, f"{key}: {given!r} is not a layer name (try `wfpsim layers`).")
    if strict and version == 6 and where.endswith("_V4"):
        expect(False, f"{key}: your variant asks about IPv6: name an IPv6 layer.")
    if version == 6:
        where = where.replace("_V4", "_V6")
    if where != expected(key, version, kind):
        ok, why = trial(key, where, version, kind)
        expect(
            False,
            f"{key}: {why}"
            if not ok
            else f"{key}: {where} works, but an earlier layer does it too: the question "
            "asks for the first one.",
        )


def check_outbound_connection(m: ModuleType) -> None:
    """outbound_tcp_before_syn, change_destination"""
    grade(m, ["outbound_tcp_before_syn", "change_destination"])


def check_inbound_connection(m: ModuleType) -> None:
    """inbound_tcp_with_app"""
    grade(m, ["inbound_tcp_with_app"])


def check_closed_ports(m: ModuleType) -> None:
    """syn_to_closed_port, udp_to_closed_port"""
    grade(m, ["syn_to_closed_port", "udp_to_closed_port"])


def check_ping(m: ModuleType) -> None:
    """first_ping_with_app"""
    grade(m, ["first_ping_with_app"])


def check_data_and_flows(m: ModuleType) -> None:
    """tcp_payload_only, handshake_complete"""
    grade(m, ["tcp_payload_only", "handshake_complete"])
