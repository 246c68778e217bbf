"""Benchmark the packet player: per-frame update time, bytes per frame, Graphviz runs per frame.

Builds a 1,000-filter engine and a long TCP journey (~144 steps), makes the player widget, then
drives ~100 frames the way the browser does (an ``update`` message setting ``position``),
recording every comm message the kernel would send. Prints a table and exits with status 1 if
a target is missed: mean update <= 10 ms, frame message <= 8 KB, 0 Graphviz runs per frame.

Run: ``.venv/bin/python benchmarks/bench_player.py`` (needs Graphviz's ``dot`` and anywidget).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from typing import Any

from wfpsim import Condition, Engine, Filter, Sublayer
from wfpsim.stack import Stack
from wfpsim.stack.journey import Journey

TARGET_MS = 10.0
TARGET_BYTES = 8 * 1024
FRAMES = 100
LAYERS = ("ALE_AUTH_CONNECT_V4", "OUTBOUND_TRANSPORT_V4", "INBOUND_TRANSPORT_V4", "STREAM_V4")


def busy_engine(count: int = 1000) -> Engine:
    """An engine with ``count`` filters in four sublayers; none matches port 80 but one."""
    engine = Engine()
    for i, name in enumerate(("corp", "av", "vpn", "app")):
        engine.add_sublayer(Sublayer(name, weight=0x1000 * (i + 1)))
    subs = ("corp", "av", "vpn", "app")
    for i in range(count):
        layer = LAYERS[i % len(LAYERS)]
        field = "IP_REMOTE_PORT" if layer != "STREAM_V4" else "IP_LOCAL_PORT"
        cond = [Condition(field, "EQUAL", 1000 + i)]
        action = "BLOCK" if i % 3 else "PERMIT"
        engine.add_filter(Filter(f"rule {i}", layer, action, cond, sublayer=subs[i % 4]))
    engine.add_filter(
        Filter("web", "ALE_AUTH_CONNECT_V4", "PERMIT", [Condition("IP_REMOTE_PORT", "EQUAL", 80)])
    )
    return engine


def long_journey(engine: Engine, chunks: int = 25) -> Journey:
    """A TCP connection to port 80 that sends ``chunks`` requests (~144 steps)."""
    payload = [f"GET /page/{i} HTTP/1.1\r\nHost: example.com\r\n\r\n" for i in range(chunks)]
    return Stack(engine).run("tcp", "outbound", "10.0.0.5:0", "93.184.216.34:80", payload=payload)


def size(data: Any) -> int:
    """Bytes of a message as JSON on the wire (UTF-8)."""
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def main() -> int:
    """Run the benchmark, print the table; 0 if every target is met, else 1."""
    import wfpsim.viz.svg as svg
    from wfpsim.viz.player import player

    runs = {"dot": 0}
    real_run_dot = svg.run_dot

    def counting_run_dot(*args: Any, **kwargs: Any) -> bytes:
        runs["dot"] += 1
        return real_run_dot(*args, **kwargs)

    svg.run_dot = counting_run_dot
    t0 = time.perf_counter()
    engine = busy_engine()
    journey = long_journey(engine)
    setup_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    widget = player(journey)
    layout_ms = (time.perf_counter() - t0) * 1000
    layout_runs = runs["dot"]
    state_bytes = size(widget.get_state())

    sent: list[int] = []

    def record(
        msg_type: str, data: Any = None, metadata: Any = None, buffers: Any = None, **keys: Any
    ) -> None:
        sent.append(size(data))

    widget.comm.publish_msg = record
    frames = min(FRAMES, len(widget))
    times, message_bytes, frame_bytes, dot_runs = [], [], [], []
    for i in [*range(1, frames), 0]:
        sent.clear()
        before = runs["dot"]
        msg = {"content": {"data": {"method": "update", "state": {"position": i}}}, "buffers": []}
        t0 = time.perf_counter()
        widget._handle_msg(msg)  # what a click in the browser does
        times.append((time.perf_counter() - t0) * 1000)
        assert widget.position == i and widget.frame["position"] == i
        dot_runs.append(runs["dot"] - before)
        message_bytes.append(sum(sent))
        frame_bytes.append(size(widget.frame))
    warm = []
    for i in range(1, frames):
        t0 = time.perf_counter()
        widget._handle_msg({"content": {"data": {"method": "update", "state": {"position": i}}}})
        warm.append((time.perf_counter() - t0) * 1000)
    widget.challenge = True
    answer_ms = []
    for i in range(1, 21):
        widget.goto(i)
        t0 = time.perf_counter()
        widget.answer("NONE")
        answer_ms.append((time.perf_counter() - t0) * 1000)
    svg.run_dot = real_run_dot

    filters = len(engine.filters())
    rows = [
        (
            "engine / journey",
            f"{filters} filters, {len(journey.steps)} steps (setup {setup_s:.1f} s)",
        ),
        ("one-off: layout + widget", f"{layout_ms:.0f} ms, {layout_runs} Graphviz run(s)"),
        (
            "one-off: SVG / events",
            f"{len(widget.svg) / 1024:.1f} KB / {size(widget.events) / 1024:.1f} KB",
        ),
        ("one-off: initial state", f"{state_bytes / 1024:.1f} KB (sent once, at display)"),
        ("frames measured", f"{len(times)} (first visits: frame built and sent)"),
        (
            "update time, first visit",
            f"mean {statistics.mean(times):.2f} ms, max {max(times):.2f} ms",
        ),
        ("update time, revisit", f"mean {statistics.mean(warm):.2f} ms, max {max(warm):.2f} ms"),
        ("answer() in challenge", f"mean {statistics.mean(answer_ms):.2f} ms"),
        (
            "bytes sent per frame",
            f"mean {statistics.mean(message_bytes) / 1024:.2f} KB, "
            f"max {max(message_bytes) / 1024:.2f} KB (all comm messages)",
        ),
        (
            "frame dict (JSON)",
            f"mean {statistics.mean(frame_bytes) / 1024:.2f} KB, "
            f"max {max(frame_bytes) / 1024:.2f} KB",
        ),
        ("Graphviz runs per frame", f"{max(dot_runs)} (total {sum(dot_runs)} over {len(times)})"),
    ]
    width = max(len(k) for k, _ in rows)
    print("wfpsim packet player benchmark")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    misses = []
    if statistics.mean(times) > TARGET_MS:
        misses.append(f"mean update {statistics.mean(times):.2f} ms > {TARGET_MS} ms")
    if max(message_bytes) > TARGET_BYTES:
        misses.append(f"a frame sent {max(message_bytes)} bytes > {TARGET_BYTES}")
    if sum(dot_runs):
        misses.append(f"{sum(dot_runs)} Graphviz runs while stepping (target 0)")
    print(
        "targets: mean <= 10 ms, <= 8 KB per frame, 0 Graphviz runs per frame: "
        + ("all met" if not misses else "MISSED: " + "; ".join(misses))
    )
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
