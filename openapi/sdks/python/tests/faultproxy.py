"""A forwarding HTTP proxy in front of the real server that can break things on purpose: answer a
matching request with an error status (after or instead of forwarding it), or cut a streamed
answer after N events. It records every request so tests can see what the SDK actually sent.

It exists because the real server cannot be asked to drop a connection or to answer 503 on
demand; everything it forwards is answered by the real server.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade"}


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Rule:
    method: str
    path: re.Pattern[str]
    times: int
    status: int | None = None  # answer with this status ...
    retry_after: str | None = None
    forward: bool = False  # ... after forwarding the request (its real answer is thrown away)
    cut_after_events: int | None = None  # or relay the answer and cut it after N events


@dataclass
class FaultProxy:
    upstream: str
    seen: list[Seen] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        forward: bool = False,
    ) -> None:
        """The next `times` requests matching answer `status` (forwarded first when `forward`)."""
        self._add(Rule(method, re.compile(path), times, status=status, retry_after=retry_after, forward=forward))

    def cut(self, method: str, path: str, after_events: int, *, times: int = 1) -> None:
        """The next `times` matching streamed answers break after `after_events` events."""
        self._add(Rule(method, re.compile(path), times, cut_after_events=after_events))

    def requests(self, method: str, path: str) -> list[Seen]:
        pattern = re.compile(path)
        with self.lock:
            return [s for s in self.seen if s.method == method and pattern.fullmatch(s.path.split("?")[0])]

    def _add(self, rule: Rule) -> None:
        with self.lock:
            self.rules.append(rule)

    def _take(self, method: str, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.times > 0 and rule.method == method and rule.path.fullmatch(path.split("?")[0]):
                    rule.times -= 1
                    return rule
        return None


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items()}
        with self.owner.lock:
            self.owner.seen.append(Seen(self.command, self.path, headers, body))
        rule = self.owner._take(self.command, self.path)
        if rule is not None and rule.status is not None:
            if rule.forward:
                self._forward(body).close()
            self._error(rule)
            return
        upstream = self._forward(body)
        try:
            self._relay(upstream, rule.cut_after_events if rule else None)
        finally:
            upstream.close()

    def _forward(self, body: bytes) -> http.client.HTTPResponse:
        target = urlsplit(self.owner.upstream)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
        conn.request(self.command, self.path, body=body or None, headers=headers)
        return conn.getresponse()

    def _error(self, rule: Rule) -> None:
        payload = json.dumps(
            {"error": {"code": "injected", "message": f"injected {rule.status}", "request_id": "proxy"}}
        ).encode()
        self.send_response(rule.status)
        self.send_header("Content-Type", "application/json")
        if rule.retry_after is not None:
            self.send_header("Retry-After", rule.retry_after)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    def _relay(self, upstream: http.client.HTTPResponse, cut_after: int | None) -> None:
        self.send_response(upstream.status)
        for key, value in upstream.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        events = 0
        if cut_after == 0:
            return self._break()
        while True:
            line = upstream.readline()
            if not line:
                break
            self._chunk(line)
            if line in (b"\n", b"\r\n"):
                events += 1
                if cut_after is not None and events >= cut_after:
                    return self._break()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _break(self) -> None:
        # Close without the final zero-length chunk: the client sees the body end mid-message.
        self.wfile.flush()
        self.connection.shutdown(2)
