"""Journeys as pcapng files, to open in Wireshark beside the player.

Every IP packet a journey built is written once, in order, as raw IP (``LINKTYPE_RAW``), with a
comment naming the layers it crossed and its fate — ``OUTBOUND_TRANSPORT_V4, OUTBOUND_IPPACKET_V4:
passed`` or ``INBOUND_TRANSPORT_V4: BLOCK by 'no telnet'`` — so a student can match each frame
to the player's steps. A packet a callout injected is a frame of its own whose comment starts
``injected by 'callout' (FwpsInjectTransportSendAsync0)``; the original it replaced ends
``absorbed at LAYER by 'filter'`` (blocked with ``FWPS_CLASSIFY_OUT_FLAG_ABSORB``). A layer
that sees only the data (``STREAM``, a connect at the ALE layers) is named in the comment of
the next packet. wfpsim keeps no wall clock: packet *n* of a file is
stamped ``EPOCH`` + *n* milliseconds (**our choice**, so the same journey gives the same bytes).

The format is pcapng (IETF draft *PCAP Next Generation Dump File Format*): a section header, one
interface description, then one enhanced packet block per packet, all little-endian.

>>> from wfpsim import Engine
>>> from wfpsim.stack import Stack
>>> journey = Stack(Engine()).run("udp", "outbound", "10.0.0.5:0", "198.51.100.7:53")
>>> data = pcapng_bytes([journey])
>>> data[:4] == b"\\x0a\\x0d\\x0d\\x0a", len(packets([journey]))
(True, 1)
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from wfpsim.errors import InvalidParameterError
from wfpsim.objects import Action
from wfpsim.stack.journey import Journey, Step

__all__ = ["EPOCH", "LINKTYPE_RAW", "Frame", "packets", "pcapng_bytes", "save_pcap"]

#: ``LINKTYPE_RAW``: each packet starts with its IPv4 or IPv6 header.
LINKTYPE_RAW = 101

#: The first packet's time stamp (2024-01-01T00:00:00Z), in seconds since 1970.
EPOCH = 1_704_067_200

_SHB, _IDB, _EPB = 0x0A0D0D0A, 0x00000001, 0x00000006
_OPT_END, _OPT_COMMENT, _SHB_USERAPPL, _IF_NAME, _IF_TSRESOL = 0, 1, 4, 2, 9


@dataclass(frozen=True, slots=True)
class Frame:
    """One packet on the wire and what WFP did with it."""

    data: bytes
    layers: tuple[str, ...]
    fate: str
    journey: int
    #: ``injected by 'callout' (FwpsInject…)`` for a copy a callout injected, else ""
    injected: str = ""

    @property
    def comment(self) -> str:
        """``journey 1: LAYER, LAYER: fate`` (an injected copy says who injected it first)."""
        who = f"{self.injected}: " if self.injected else ""
        return f"journey {self.journey}: {who}{', '.join(self.layers)}: {self.fate}"


def _is_ip(data: bytes | None) -> bool:
    if not data or len(data) < 20:
        return False
    version = data[0] >> 4
    if version == 4:
        return int.from_bytes(data[2:4], "big") == len(data)
    return version == 6 and len(data) >= 40 and int.from_bytes(data[4:6], "big") + 40 == len(data)


def _fate(steps: Sequence[Step]) -> str:
    for step in steps:
        c = step.classification
        if c.action == Action.BLOCK:
            by = f" by {c.filter_name!r}" if c.filter_name else ""
            if step.note.startswith("injection loop"):
                return f"{step.note} at {step.layer}"
            if c.absorbed:  # BLOCK + FWPS_CLASSIFY_OUT_FLAG_ABSORB: dropped without a trace
                return f"absorbed at {step.layer}{by}"
            return f"BLOCK at {step.layer}{by}"
    return "passed"


def packets(journeys: Iterable[Journey]) -> list[Frame]:
    """Each journey's IP packets in order; consecutive crossings of the same bytes (the layers
    one packet crosses, a discard layer's indication of it) make one frame."""
    frames: list[Frame] = []
    for number, journey in enumerate(journeys, 1):
        pending: list[Step] = []
        group: list[Step] = []
        for step in journey.steps:
            if _is_ip(step.packet):
                same = group and group[-1].packet == step.packet
                if same and group[-1].injection == step.injection:
                    group.append(step)
                    continue
                if group:
                    frames.append(_frame(group, number))
                group = [*pending, step]
                pending = []
            else:
                pending.append(step)
        if group:
            frames.append(_frame(group, number))
    return frames


def _frame(group: Sequence[Step], journey: int) -> Frame:
    data = next(s.packet for s in reversed(group) if s.packet is not None and _is_ip(s.packet))
    copy = group[-1].injection
    injected = copy.describe() if copy is not None else ""
    return Frame(data, tuple(s.layer for s in group), _fate(group), journey, injected)


def _option(code: int, value: bytes) -> bytes:
    pad = (-len(value)) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\0" * pad


def _block(kind: int, body: bytes) -> bytes:
    total = len(body) + 12
    return struct.pack("<II", kind, total) + body + struct.pack("<I", total)


def pcapng_bytes(journeys: Iterable[Journey]) -> bytes:
    """The pcapng file of one or several journeys, as bytes."""
    end = _option(_OPT_END, b"")
    shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _option(_SHB_USERAPPL, b"wfpsim") + end
    idb = struct.pack("<HHI", LINKTYPE_RAW, 0, 0)
    idb += _option(_IF_NAME, b"wfpsim simulated stack") + _option(_IF_TSRESOL, b"\x06") + end
    out = [_block(_SHB, shb), _block(_IDB, idb)]
    for n, frame in enumerate(packets(journeys)):
        stamp = EPOCH * 1_000_000 + n * 1000
        head = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame.data),
                           len(frame.data))  # fmt: skip
        body = head + frame.data + b"\0" * ((-len(frame.data)) % 4)
        body += _option(_OPT_COMMENT, frame.comment.encode("utf-8")) + end
        out.append(_block(_EPB, body))
    return b"".join(out)


def save_pcap(journeys: Journey | Iterable[Journey], path: str | os.PathLike[str]) -> Path:
    """Write journeys' packets to a ``.pcapng`` file; returns the path written.

    Raises:
        InvalidParameterError: the file cannot be written (the reason is named).
    """
    items = [journeys] if isinstance(journeys, Journey) else list(journeys)
    target = Path(path)
    try:
        target.write_bytes(pcapng_bytes(items))
    except OSError as err:
        raise InvalidParameterError(f"cannot write {target}: {err.strerror}") from None
    return target
