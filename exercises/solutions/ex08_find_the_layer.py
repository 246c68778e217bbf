"""Exercise 08 · reference solution.

* TCP's ``ALE_AUTH_CONNECT`` is classified at ``connect()``, before the SYN exists; the bind
  layers come earlier but know no remote port, and a block at ``ALE_CONNECT_REDIRECT`` does not
  authorize anything.
* The inbound SYN crosses ``INBOUND_IPPACKET`` (no ports) and ``INBOUND_TRANSPORT`` (ports, no
  application) before ``ALE_AUTH_RECV_ACCEPT``, which knows the listening application.
* A SYN to a closed port is dropped by TCP and shown at ``INBOUND_TRANSPORT_V4_DISCARD``; it
  never reaches ALE. A datagram to a closed UDP port is dropped one level lower, at
  ``INBOUND_IPPACKET_V4_DISCARD``.
* The first echo request is authorized at ``ALE_AUTH_CONNECT`` like any first packet of a
  non-TCP flow.
* ``STREAM_V4`` hands over the stream data only; ``ALE_CONNECT_REDIRECT_V4`` a writable
  ``FWPS_CONNECT_REQUEST0``; ``ALE_FLOW_ESTABLISHED_V4`` is indicated after the handshake.
"""

from __future__ import annotations

ANSWERS: dict[str, str | None] = {
    "outbound_tcp_before_syn": "ALE_AUTH_CONNECT_V4",
    "inbound_tcp_with_app": "ALE_AUTH_RECV_ACCEPT_V4",
    "syn_to_closed_port": "INBOUND_TRANSPORT_V4_DISCARD",
    "udp_to_closed_port": "INBOUND_IPPACKET_V4_DISCARD",
    "first_ping_with_app": "ALE_AUTH_CONNECT_V4",
    "tcp_payload_only": "STREAM_V4",
    "change_destination": "ALE_CONNECT_REDIRECT_V4",
    "handshake_complete": "ALE_FLOW_ESTABLISHED_V4",
}
