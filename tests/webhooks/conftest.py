"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that records what it is
sent and answers the status codes a test queues (200 once they run out); and a DNS the
tests control."""

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in order, then 200
    gate: threading.Event | None = None  # when set up, answers only once it is set


def serve(state: Receiver, context: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    """Start answering on 127.0.0.1 (over TLS with ``context``) into ``state``; the
    caller shuts the server down."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(Received(self.path, dict(self.headers.items()), body))
            if state.gate is not None:
                state.gate.wait(timeout=60)  # a slow merchant server, until the test has looked
            code = state.statuses.pop(0) if state.statuses else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # keep the test output quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    server = serve(state)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mlstore"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _local_http(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True  # as DEBUG does: the receiver is on localhost


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """What host names resolve to in these tests: the name's entry here, else "no such
    name" (no test asks the real DNS). IP literals and localhost resolve as usual. A test
    sets ``dns["hooks.example.com"] = ["93.184.216.34"]``; a callable entry is called on
    every lookup (to change the answer between two of them, as a rebinding DNS does)."""
    import socket

    answers: dict[str, Any] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in answers:
            try:
                ipaddress.ip_address(name.split("%", 1)[0])
            except ValueError:
                if name != "localhost":
                    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
            return real(host, port, *args, **kwargs)
        entry = answers[name]
        addresses = entry() if callable(entry) else entry
        if isinstance(addresses, BaseException):
            raise addresses
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (a, int(port or 0), 0, 0) if ":" in a else (a, int(port or 0)),
            )
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers
