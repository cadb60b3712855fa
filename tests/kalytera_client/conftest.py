import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class StubPlatform:
    """A tiny stand-in for the machine API on 127.0.0.1: answers are queued per path.

    It records every request so tests can see exactly what the client sent.
    """

    def __init__(self) -> None:
        self.answers: dict[str, list] = {}
        self.requests: list[dict] = []
        self.echo_nonce = True

    def answer(self, path: str, status: int, body, headers: dict | None = None) -> None:
        self.answers.setdefault(path, []).append((status, body, headers or {}))


def _handler(stub: StubPlatform):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self._reply(None)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            self._reply(raw)

        def _reply(self, raw: bytes | None) -> None:
            body = json.loads(raw) if raw else None
            stub.requests.append({"method": self.command, "path": self.path, "body": body, "raw": raw or b""})
            queue = stub.answers.get(self.path) or [
                (404, {"error": {"code": "NOT_FOUND", "message": "?"}}, {})
            ]
            status, answer, headers = queue.pop(0) if len(queue) > 1 else queue[0]
            if callable(answer):
                answer = answer(body)
            if isinstance(answer, dict) and body and stub.echo_nonce and "nonce" in body:
                answer = {**answer, "nonce": body["nonce"], "server_time": "2026-11-23T17:00:00Z"}
            payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def stub_platform():
    stub = StubPlatform()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield stub
    server.shutdown()
    server.server_close()
