"""The HTTPS transport of the simulator: TLS per connection, HTTP/1.1 keep-alive, fault effects."""

from __future__ import annotations

import gzip
import logging
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .messages import Request, Response

if TYPE_CHECKING:
    from .server import Simulator

__all__ = ["TlsServer"]

logger = logging.getLogger(__name__)

_HANDSHAKE_TIMEOUT_S = 10.0
_IDLE_TIMEOUT_S = 60.0
#: Bodies at least this long are sent gzip-compressed to a client that accepts it, as
#: Microsoft's front ends do (requests and urllib3 clients always accept it).
GZIP_MIN_BYTES = 1024


class _Handler(BaseHTTPRequestHandler):
    """Parses HTTP/1.1, delegates to the dispatcher, writes (or truncates) the answer."""

    protocol_version = "HTTP/1.1"
    server_version = "o365lic-m365-simulator/1.0"
    sys_version = ""
    timeout = _IDLE_TIMEOUT_S
    disable_nagle_algorithm = True
    server: TlsServer

    def version_string(self) -> str:
        """The ``Server`` header value."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Per-request logging is off (debug level only)."""
        logger.debug("%s - " + format, self.address_string(), *args)

    def handle(self) -> None:
        """Serve keep-alive requests; a client that goes away is not an error."""
        try:
            super().handle()
        except (OSError, ValueError):
            self.close_connection = True

    def _serve(self) -> None:
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header else 0
        except ValueError:
            length = 0
        body = self.rfile.read(length) if length > 0 else b""
        simulator = self.server.simulator
        if simulator.latency_ms > 0:
            time.sleep(simulator.latency_ms / 1000.0)
        request = Request(method=self.command, target=self.path, headers=self.headers, body=body)
        try:
            response = simulator.dispatcher.handle(request)
        except Exception:  # a simulator bug must not kill the connection silently
            logger.exception("simulator failed on %s %s", self.command, self.path)
            response = Response(
                500,
                b'{"error":{"code":"InternalServerError","message":"The simulator failed.","innerError":{}}}',
                "application/json",
            )
        if response.delay_s > 0:
            time.sleep(response.delay_s)
        self._write(response)

    def _accepts_gzip(self) -> bool:
        for part in (self.headers.get("Accept-Encoding") or "").split(","):
            coding, _, weight = part.partition(";")
            if coding.strip().lower() == "gzip":
                return weight.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
        return False

    def _write(self, response: Response) -> None:
        body = response.body
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", response.content_type)
        if len(body) >= GZIP_MIN_BYTES and self._accepts_gzip():
            body = gzip.compress(body, compresslevel=5, mtime=0)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.truncate:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(body)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve
    do_HEAD = _serve


class TlsServer(ThreadingHTTPServer):
    """Threading HTTP server doing the TLS handshake in the connection's own thread."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address: tuple[str, int], context: ssl.SSLContext, simulator: Simulator) -> None:
        self.ssl_context = context
        self.simulator = simulator
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without the reverse DNS lookup of ``HTTPServer.server_bind``."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Wrap the accepted socket in TLS, then serve it until it closes."""
        try:
            request.settimeout(_HANDSHAKE_TIMEOUT_S)
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (OSError, ValueError):
            return
        with self._connections_lock:
            self._connections.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            with self._connections_lock:
                self._connections.discard(tls)
            try:
                tls.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            tls.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection-level errors are expected (clients time out, drop); log at debug only."""
        logger.debug("connection error from %s", client_address)

    def close_connections(self) -> None:
        """Shut down every open keep-alive connection."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
