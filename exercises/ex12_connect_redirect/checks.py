"""Public checks of exercise 12: plain HTTP goes to the proxy; nothing else moves."""

from __future__ import annotations

from types import ModuleType

from wfpsim import Callout, Engine, Filter
from wfpsim.callouts import ClassifyOut
from wfpsim.exercise import expect, expect_no_faults
from wfpsim.ids import FWP_ACTION_PERMIT
from wfpsim.objects import Action
from wfpsim.stack import Journey, Stack
from wfpsim.stack.journey import Step
from wfpsim.stack.layerdata import ConnectRequest
from wfpsim.trace import Effect
from wfpsim.values import format_ipv4

LAYER = "ALE_CONNECT_REDIRECT_V4"
HOST = "10.0.0.5"
BROWSER = r"C:\Apps\browser.exe"


def installed(m: ModuleType) -> Engine:
    """A fresh engine with the student's redirect callout."""
    engine = Engine()
    m.install(engine)
    return engine


def connect(engine: Engine, remote: str, app: str = BROWSER, kind: str = "tcp") -> Journey:
    """One outbound connection through the stack."""
    j = Stack(engine).run(kind, "outbound", f"{HOST}:0", remote, app=app, payload=["GET /"])
    expect_no_faults(j)
    return j


def step(j: Journey, name: str) -> Step:
    """The first step of a journey at a layer."""
    found = [s for s in j.steps if s.layer == name]
    expect(found, f"the connection never reached {name}.")
    return found[0]


def destination(j: Journey) -> str:
    """Where the connection was authorized to go (ALE_AUTH_CONNECT_V4's remote end)."""
    values = step(j, "ALE_AUTH_CONNECT_V4").in_fixed_values
    return f"{format_ipv4(values['IP_REMOTE_ADDRESS'].uint32)}:{values['IP_REMOTE_PORT'].uint16}"


def callout_answer(j: Journey) -> str:
    """What the student's callout wrote at the redirect layer (action name)."""
    c = step(j, LAYER).classification
    calls = [st.callout for _, st in c.steps() if st.callout is not None]
    expect(calls, f"your callout was not called at {LAYER}.")
    written = calls[0].returned_action
    return Action(written).name if written in set(Action) else hex(written)


def expect_untouched(j: Journey, original: str, why: str) -> None:
    """The connection went where it was going, and the callout stood aside."""
    answer = callout_answer(j)
    expect(answer == "CONTINUE", f"{why}: your callout answered {answer}, not CONTINUE.")
    expect_not_redirected(j, original, why)


def expect_not_redirected(j: Journey, original: str, why: str) -> None:
    """The connection was neither blocked at the redirect layer nor moved."""
    result = step(j, LAYER).classification.action
    expect(
        result != Action.BLOCK,
        f"{why}: the redirect layer's result is BLOCK though nothing was to be blocked: check "
        "your filter's type (notebook 05: what does each callout filter type make of "
        "CONTINUE?).",
    )
    expect(
        destination(j) == original,
        f"{why}: it was redirected to {destination(j)}, but must go to {original}.",
    )


def expect_callout_decides(j: Journey) -> None:
    """The callout's filter took the decision the callout wrote (its type lets it decide)."""
    c = step(j, LAYER).classification
    effects = [st.effect for _, st in c.steps() if st.callout is not None]
    effect = effects[0].name if effects else "not called"
    expect(
        effect == Effect.DECIDED.name,
        f"your callout answered PERMIT, but its filter did not decide ({effect}): check "
        "your filter's type — the task asks for one that lets the callout answer "
        "either PERMIT or CONTINUE (notebook 05).",
    )


def experiment_redirect(
    in_fixed_values: object,
    in_meta_values: object,
    layer_data: ConnectRequest,
    classify_context: object,
    filter: object,
    flow_context: int,
    classify_out: ClassifyOut,
) -> None:
    """The checks' own experiment: move every connection to a documentation address."""
    layer_data.remote_address = "192.0.2.1"
    layer_data.remote_port = 9
    classify_out.action_type = FWP_ACTION_PERMIT


def seen_after_a_redirect() -> str:
    """Which remote end ALE_AUTH_CONNECT_V4 sees after a redirect, found by experiment."""
    engine = Engine()
    engine.add_callout(Callout("experiment", LAYER))
    engine.register_callout("experiment", experiment_redirect)
    engine.add_filter(Filter("experiment", LAYER, "CALLOUT_TERMINATING", callout="experiment"))
    j = Stack(engine).run("tcp", "outbound", f"{HOST}:0", "93.184.216.34:80", app=BROWSER)
    return "proxy" if destination(j) == "192.0.2.1:9" else "original"


def check_install(m: ModuleType) -> None:
    """install adds, registers and uses the callout at ALE_CONNECT_REDIRECT_V4"""
    engine = installed(m)
    expect(engine.is_registered(m.CALLOUT), f"the callout {m.CALLOUT!r} is not registered.")
    key = engine.callout(m.CALLOUT).key
    expect(
        any(f.callout == key for f in engine.filters(LAYER)), f"no filter at {LAYER} invokes it."
    )


def check_http_goes_to_the_proxy(m: ModuleType) -> None:
    """a browser's plain-HTTP connection is redirected to the proxy"""
    engine = installed(m)
    j = connect(engine, "93.184.216.34:80")
    proxy = f"{m.PROXY_ADDRESS}:{m.PROXY_PORT}"
    expect(destination(j) == proxy, f"the connection went to {destination(j)}, not to {proxy}.")
    expect(j.verdict == "PERMIT", f"the redirected connection ends {j.verdict}.")
    answer = callout_answer(j)
    expect(answer == "PERMIT", f"your callout redirected, but answered {answer}, not PERMIT.")
    expect_callout_decides(j)


def check_other_ports_untouched(m: ModuleType) -> None:
    """HTTPS and other ports are left alone"""
    engine = installed(m)
    for remote in ("93.184.216.34:443", "198.51.100.7:8080"):
        expect_untouched(connect(engine, remote), remote, f"TCP to {remote}")


def check_no_loop(m: ModuleType) -> None:
    """the proxy's own connections are left alone"""
    j = connect(installed(m), "93.184.216.34:80", app=m.PROXY_APP)
    expect_untouched(j, "93.184.216.34:80", "the proxy's own connection to 93.184.216.34:80")


def check_auth_connect_question(m: ModuleType) -> None:
    """AUTH_CONNECT_SEES"""
    expect(
        m.AUTH_CONNECT_SEES in ("original", "proxy"), 'AUTH_CONNECT_SEES: "original" or "proxy".'
    )
    expect(
        seen_after_a_redirect() == m.AUTH_CONNECT_SEES,
        "not so: redirect a connection and look at ALE_AUTH_CONNECT_V4 in its journey.",
    )
