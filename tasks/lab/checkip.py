"""A "what is my address" HTTP service on the lab's internet host (the lab's checkip).

It answers every GET with the client's source address as the internet host sees it, i.e. the
NAT address of the router the request left through: what ``checkip.amazonaws.com`` does for a
real VPC. The SSM probe agent (:mod:`tasks.observers.agent.whatismyip`) is tested against it.
The listening socket is made inside the internet host's namespace; the server runs in a thread
of this process and serves only the lab address.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tasks.lab.netns import netns_socket
from tasks.lab.topology import Plan

PORT = 8080


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{self.client_address[0]}\n".encode("ascii")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: thousands of probes would flood stderr."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, sock: socket.socket, address: tuple[str, int]) -> None:
        super().__init__(address, _Answer, bind_and_activate=False)
        self.socket.close()
        self.socket = sock
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server_bind()
        self.server_activate()


class CheckIp:
    """``with CheckIp(plan) as url:`` serves http://<internet host>:8080/ while inside."""

    def __init__(self, plan: Plan, port: int = PORT) -> None:
        self.address = (str(plan.inet_host), port)
        self.url = f"http://{self.address[0]}:{port}/"
        self._server = _Server(netns_socket(plan.inet_ns, socket.SOCK_STREAM), self.address)
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True, name="lab-checkip"
        )

    def __enter__(self) -> str:
        self._thread.start()
        return self.url

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
