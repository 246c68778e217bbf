"""This machine, its applications and the remote peers it talks to.

"This host" is the machine whose WFP policy the scenario describes; only its layers are
crossed. Peers are plain endpoints. Any 127.0.0.0/8 or ::1 address is loopback: then both
ends run on this host.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from wfpsim.errors import InvalidParameterError
from wfpsim.ids import (
    IF_TYPE_ETHERNET_CSMACD,
    IF_TYPE_SOFTWARE_LOOPBACK,
    NlatBroadcast,
    NlatMulticast,
    NlatUnicast,
)

DEFAULT_APP = r"C:\Windows\System32\svchost.exe"
DEFAULT_USER = "S-1-5-21-1004336348-1177238915-682003330-1001"
#: [our choice] this host's own addresses: the source the stack picks after a wildcard bind
HOST_ADDRESS = {4: "10.0.0.5", 6: "2001:db8::5"}
LOOPBACK_ADDRESS = {4: "127.0.0.1", 6: "::1"}


@dataclass(frozen=True, slots=True)
class Address:
    """An IP address and port (``port`` 0 means "let the stack choose")."""

    ip: str
    port: int = 0

    @property
    def version(self) -> int:
        """4 or 6."""
        return ipaddress.ip_address(self.ip).version

    @property
    def is_loopback(self) -> bool:
        """127.0.0.0/8 or ::1."""
        return ipaddress.ip_address(self.ip).is_loopback

    @property
    def is_wildcard(self) -> bool:
        """``0.0.0.0`` or ``::``: bind to every local address (``INADDR_ANY``)."""
        return ipaddress.ip_address(self.ip).is_unspecified

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if self.version == 6 else f"{self.ip}:{self.port}"


def parse_endpoint(text: str, kind: str = "tcp") -> Address:
    """``"10.0.0.5:80"``, ``"[2001:db8::1]:443"``, or a bare address (ICMP; port 0).

    Raises:
        InvalidParameterError: not an address, or a port outside 0-65535.
    """
    text = text.strip()
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?", text) or re.fullmatch(
        r"([0-9.]+)(?::(\d+))?", text
    )
    if m is None:
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            raise InvalidParameterError(
                f"{text!r} is not an endpoint; write 'a.b.c.d:port', '[v6addr]:port' "
                "or, for icmp, just the address"
            ) from None
        return Address(text, 0)
    ip, port = m.group(1), int(m.group(2) or 0)
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise InvalidParameterError(f"{ip!r} in {text!r} is not an IP address") from None
    if not 0 <= port <= 0xFFFF:
        raise InvalidParameterError(f"port {port} in {text!r} is outside 0..65535")
    if kind == "icmp" and m.group(2):
        raise InvalidParameterError(f"{text!r}: icmp endpoints are bare addresses (no port)")
    return Address(ip, port)


#: The NULL SID: ``ALE_PACKAGE_ID`` of a process outside any AppContainer. **Inferred**, not
#: documented: the built-in Windows filters of real machines test ``ALE_PACKAGE_ID == S-1-0-0``
#: ("UWP Default Outbound Block Rule" blocks ``ALE_PACKAGE_ID != S-1-0-0``).
NULL_SID = "S-1-0-0"
#: ``ALL APPLICATION PACKAGES`` (SDDL alias ``AC``): in every AppContainer process's token.
ALL_APPLICATION_PACKAGES = "S-1-15-2-1"
#: A package SID: ``S-1-15-2-`` then sub-authorities (Windows uses seven).
PACKAGE_SID = re.compile(r"S-1-15-2(-\d+){2,}", re.IGNORECASE)


def check_package(package: str | None) -> str:
    """A package SID as given, or ``""`` for a desktop application.

    Raises:
        InvalidParameterError: not an AppContainer package SID.
    """
    if package is None or package == "":
        return ""
    if not isinstance(package, str) or not PACKAGE_SID.fullmatch(package.strip()):
        raise InvalidParameterError(
            f"package {package!r} is not an AppContainer package SID; valid: "
            "'S-1-15-2-' followed by its sub-authorities, e.g. "
            "'S-1-15-2-2967553933-3217682302-1494388624-1520441230-1286441420-3166565081-2547287883'"
        )
    return package.strip().upper()


@dataclass(frozen=True, slots=True)
class App:
    """An application on this host: its path (``ALE_APP_ID``), user, process id and, for an
    AppContainer (UWP / packaged) application, its package SID (``ALE_PACKAGE_ID``)."""

    path: str = DEFAULT_APP
    user: str = DEFAULT_USER
    pid: int = 4242
    package: str = ""

    @property
    def package_id(self) -> str:
        """``ALE_PACKAGE_ID``: the package SID, or the NULL SID outside an AppContainer."""
        return self.package or NULL_SID

    @property
    def in_app_container(self) -> bool:
        """True for an AppContainer process."""
        return bool(self.package)

    @property
    def token_sids(self) -> tuple[str, ...]:
        """The SIDs of the process token that an SDDL condition is checked against.

        The user; for an AppContainer process also its package SID and ``ALL APPLICATION
        PACKAGES`` (S-1-15-2-1), which Windows adds to every AppContainer token.
        """
        if not self.package:
            return (self.user,)
        return (self.user, self.package, ALL_APPLICATION_PACKAGES)

    @property
    def token(self) -> str:
        """The token as wfpsim hands it to ``ALE_USER_ID`` and the TOKEN metadata: its SIDs
        joined by commas (user first)."""
        return ",".join(self.token_sids)


@dataclass(frozen=True, slots=True)
class Interface:
    """A network interface of this host (what the interface fields report)."""

    index: int
    luid: int
    if_type: int


ETHERNET = Interface(index=12, luid=0x0006_0000_0001_0000, if_type=IF_TYPE_ETHERNET_CSMACD)
LOOPBACK = Interface(index=1, luid=0x0018_0000_0000_0000, if_type=IF_TYPE_SOFTWARE_LOOPBACK)


def address_type(ip: str) -> int:
    """The NL_ADDRESS_TYPE of an address."""
    addr = ipaddress.ip_address(ip)
    if addr.is_multicast:
        return NlatMulticast
    if addr.version == 4 and str(addr).endswith(".255"):
        return NlatBroadcast
    return NlatUnicast
