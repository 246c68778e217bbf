"""Exercise 08 · Find the layer that sees it.

Answer each question with the short name of one IPv4 layer, such as
``"OUTBOUND_TRANSPORT_V4"`` (the ``FWPM_LAYER_…`` name works too). The host is ``10.0.0.5``;
"a filter" means one BLOCK filter with the condition named, and nothing else in the engine.

``outbound_tcp_before_syn``
    An application opens a TCP connection to ``198.51.100.7:443``. At which layer — the first
    one where this works — does a filter on the remote port make ``connect()`` fail before the
    SYN even exists?
``inbound_tcp_with_app``
    A peer connects to this host's listening port 8443. At which layer, the first one where
    this works, does a filter on the local port refuse the connection *knowing the
    application that listens* (the layer has an ``ALE_APP_ID`` field)?
``syn_to_closed_port``
    A SYN arrives for port 81, where nothing listens. At which layer is it dropped (and shown)?
``udp_to_closed_port``
    A UDP datagram arrives for port 9, where nothing listens. At which layer is it dropped?
``first_ping_with_app``
    An application pings ``8.8.8.8``. At which layer, the first one where this works, does a
    filter on ``IP_PROTOCOL`` 1 stop the first echo request *knowing the application*?
``tcp_payload_only``
    An application sends data over its TCP connection. At which layer does a callout's
    ``layer_data`` hold that data alone — no IP or TCP header?
``change_destination``
    At which layer can a callout change the remote address of an outbound TCP connection
    before it is authorized?
``handshake_complete``
    At which layer is a TCP connection indicated once, when its handshake is complete — where
    callouts typically associate their flow contexts?

Notebooks 06, 07 and 10 show every one of these journeys; ``journey_table`` lists the layers
a connection crosses, ``step_report`` what one layer is handed. Your answers are checked by
running those journeys with a filter at the layer you name.
"""

from __future__ import annotations

ANSWERS: dict[str, str | None] = {
    "outbound_tcp_before_syn": None,
    "inbound_tcp_with_app": None,
    "syn_to_closed_port": None,
    "udp_to_closed_port": None,
    "first_ping_with_app": None,
    "tcp_payload_only": None,
    "change_destination": None,
    "handshake_complete": None,
}
