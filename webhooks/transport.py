"""How a delivery reaches the receiver without being turned against the store's own network.

A webhook URL names a host; what that name resolves to is up to whoever runs its DNS. So the
name is resolved once per attempt, every address is vetted (``address_refused``), and the
connection goes to a vetted address only (``PinnedAdapter``): a DNS answer that changes
between the check and the connect (a rebind) cannot send the request somewhere else. The
URL keeps the name, so the Host header, TLS SNI and the certificate check are all on it.

The same idea as the ``advocate`` library (a requests adapter whose connections validate
the addresses they connect to), without the dependency.
"""

import ipaddress
import socket
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _refused(address: Address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global  # e.g. 100.64.0.0/10, the carrier-grade NAT range
    )


def address_refused(value: str) -> bool:
    """True if ``value`` (an IP address as text) is not a public internet address: private,
    loopback, link-local (cloud metadata at 169.254.169.254), reserved, multicast,
    unspecified, or not global; for IPv6 also what it carries an IPv4 address for
    (``::ffff:127.0.0.1``, 6to4, Teredo). Text that is no address is refused."""
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])  # fe80::1%eth0: the scope
    except ValueError:
        return True
    if _refused(address):
        return True
    if isinstance(address, ipaddress.IPv6Address):
        # Python 3.11 calls ::ffff:10.0.0.5 neither private nor loopback: check the inside
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address.teredo:
            embedded.extend(address.teredo)
        return any(inner is not None and _refused(inner) for inner in embedded)
    return False


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to for a TCP connection, in the resolver's order,
    each once. Raises ``OSError`` (``socket.gaierror``) when it does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class _PinnedConnectionMixin:
    """Opens the socket to the pinned addresses instead of resolving ``host`` again; the
    rest of the connection (Host header, SNI, certificate check) still uses ``host``."""

    pinned: tuple[str, ...] = ()
    # what urllib3's HTTPConnection provides
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    host: str

    def _new_conn(self) -> socket.socket:
        error: OSError | None = None
        for address in self.pinned:  # in the resolver's order, as create_connection would
            try:
                return connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                error = exc
        raise NewConnectionError(
            self,  # type: ignore[arg-type]
            f"Failed to establish a new connection: {error or 'no vetted address'}",
        )


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose connections go to ``addresses`` (already vetted) whatever
    the URL's host resolves to by the time of the connect. Mount it on a session made for
    one request to that host; it is not meant for other hosts."""

    def __init__(self, addresses: list[str]) -> None:
        if not addresses:
            raise ValueError("an address to connect to is needed")
        self.addresses = tuple(addresses)  # before super(): it builds the pool manager
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
        pinned = {"pinned": self.addresses}
        http_conn = type("PinnedHTTPConnection", (_PinnedConnectionMixin, HTTPConnection), pinned)
        https_conn = type(
            "PinnedHTTPSConnection", (_PinnedConnectionMixin, HTTPSConnection), pinned
        )
        pools: dict[str, type] = {
            "http": type("PinnedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("PinnedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn}),
        }
        # an instance attribute: the module-wide table of urllib3 stays as it is
        self.poolmanager.pool_classes_by_scheme = pools


def pinned_session(addresses: list[str]) -> requests.Session:
    """A session that connects to ``addresses`` only. No proxies, .netrc or CA bundle from
    the environment: a proxy would resolve the name itself, out of our hands."""
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(addresses)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
