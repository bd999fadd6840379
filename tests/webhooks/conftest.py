"""A real HTTP receiver on 127.0.0.1 (http.server in a thread) that records what it is
sent and answers the status codes a test queues (200 once they run out)."""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mlstore"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _local_http(settings) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOKS_ALLOW_LOCAL_HTTP = True  # as DEBUG does: the receiver is on localhost
