"""Journeys as pcapng files: read back with dpkt, an implementation we did not write."""

from __future__ import annotations

from pathlib import Path

import dpkt
import pytest

from wfpsim import Condition, Engine, Filter
from wfpsim.errors import InvalidParameterError
from wfpsim.stack import Stack
from wfpsim.stack.pcap import EPOCH, LINKTYPE_RAW, packets, save_pcap


def _journeys() -> list:
    engine = Engine()
    engine.add_filter(
        Filter(
            "no telnet", "INBOUND_TRANSPORT_V4", "BLOCK", [Condition("IP_LOCAL_PORT", "EQUAL", 23)]
        )
    )
    stack = Stack(engine)
    return [
        stack.run("tcp", "outbound", "10.0.0.5:0", "198.51.100.7:80", payload=["GET / HTTP/1.1"]),
        stack.run("tcp", "inbound", "10.0.0.5:23", "198.51.100.7:50000"),
    ]


def test_every_packet_reads_back_as_the_bytes_the_journey_built(tmp_path: Path) -> None:
    """dpkt reads raw IP frames whose bytes, order and time stamps are the journey's."""
    journeys = _journeys()
    path = save_pcap(journeys, tmp_path / "two.pcapng")
    with path.open("rb") as fh:
        reader = dpkt.pcapng.Reader(fh)
        assert reader.datalink() == LINKTYPE_RAW
        read = list(reader)
    frames = packets(journeys)
    assert [buf for _ts, buf in read] == [f.data for f in frames]
    assert [round(ts - EPOCH, 3) for ts, _buf in read] == [n / 1000 for n in range(len(read))]
    first = dpkt.ip.IP(read[0][1])
    assert isinstance(first.data, dpkt.tcp.TCP) and first.data.flags == dpkt.tcp.TH_SYN
    data = [dpkt.ip.IP(buf).data.data for _ts, buf in read]
    assert b"GET / HTTP/1.1" in data


def test_comments_name_the_layers_and_the_fate() -> None:
    """The blocked SYN's frame says where and by which filter; a data frame names STREAM."""
    comments = [f.comment for f in packets(_journeys())]
    assert any("STREAM_V4" in c and c.endswith("passed") for c in comments)
    blocked = [c for c in comments if "BLOCK" in c]
    assert blocked == [
        "journey 2: INBOUND_IPPACKET_V4, INBOUND_TRANSPORT_V4, INBOUND_TRANSPORT_V4_DISCARD: "
        "BLOCK at INBOUND_TRANSPORT_V4 by 'no telnet'"
    ]


def test_same_journey_same_bytes(tmp_path: Path) -> None:
    """Deterministic: no wall clock in the file."""
    a = save_pcap(_journeys(), tmp_path / "a.pcapng").read_bytes()
    assert a == save_pcap(_journeys(), tmp_path / "b.pcapng").read_bytes()


def test_an_unwritable_path_is_a_named_error(tmp_path: Path) -> None:
    """A folder that does not exist: InvalidParameterError naming the path."""
    with pytest.raises(InvalidParameterError, match="cannot write"):
        save_pcap(_journeys(), tmp_path / "missing" / "x.pcapng")
