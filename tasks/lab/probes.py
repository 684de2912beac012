"""UDP probes from the VPC host to the internet host: which NAT address did traffic leave by?

Sockets are opened inside the lab namespaces (see :func:`tasks.lab.netns.netns_socket`), so no
helper process is needed; packets only ever go to the internet host's lab address.

Each probe run has its own receiving port (chosen by the kernel, never shared) and its own
random run token in every packet: two runs at once (two failover tests, a verify during a
failover) cannot count each other's probes, or lose them to each other's socket.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import threading
import time
from dataclasses import dataclass

from tasks.lab.netns import netns_socket
from tasks.lab.topology import Plan

_MAGIC = b"VHAP"
#: magic, run token, sequence number, send time
_PACKET = struct.Struct("!4s4sId")


@dataclass(frozen=True)
class ProbeRecord:
    seq: int
    source: str
    sent: float  # time.monotonic() at the sender
    received: float  # time.monotonic() at the receiver


def _receiver(plan: Plan) -> tuple[socket.socket, int]:
    """A UDP socket on the internet host on a port of its own (no SO_REUSEADDR: with it, a
    second run binding the same port would take this run's packets)."""
    sock = netns_socket(plan.inet_ns)
    sock.bind((str(plan.inet_host), 0))
    return sock, int(sock.getsockname()[1])


def probe_source(plan: Plan, timeout: float = 1.0) -> str | None:
    """Send one probe; the source address the internet host saw, or None when it was lost."""
    rx, port = _receiver(plan)
    tx = netns_socket(plan.vpc_ns)
    try:
        rx.settimeout(timeout)
        nonce = os.urandom(8)
        tx.sendto(_MAGIC + nonce, (str(plan.inet_host), port))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            rx.settimeout(remaining)
            try:
                data, (source, _port) = rx.recvfrom(2048)
            except TimeoutError:
                return None
            if data == _MAGIC + nonce:
                return source
    finally:
        rx.close()
        tx.close()


class ProbeStream:
    """A bounded stream of probes: ``rate`` per second for at most ``duration`` seconds.

    ``start()`` opens the receiver (internet host) and sender (VPC host) threads; ``stop()``
    ends them and returns the records received, in arrival order. Each packet is 20 bytes to
    the internet host's lab address, on this stream's own port, with this stream's token.
    """

    def __init__(self, plan: Plan, rate: float = 50, duration: float = 120) -> None:
        if not 0 < rate <= 1000:
            raise ValueError("rate must be in (0, 1000] probes per second")
        if not 0 < duration <= 600:
            raise ValueError("duration must be in (0, 600] seconds")
        self.plan, self.rate, self.duration = plan, rate, duration
        self.port = 0  # chosen at start()
        self.token = os.urandom(4)
        self.records: list[ProbeRecord] = []
        self.sent = 0
        self._stop = threading.Event()
        self._stop_rx = threading.Event()
        self._threads: list[threading.Thread] = []
        self._rx: socket.socket | None = None
        self._tx: socket.socket | None = None

    def start(self) -> ProbeStream:
        self._rx, self.port = _receiver(self.plan)
        self._rx.settimeout(0.1)
        self._tx = netns_socket(self.plan.vpc_ns)
        self._threads = [
            threading.Thread(target=self._receive, daemon=True, name="probe-rx"),
            threading.Thread(target=self._send, daemon=True, name="probe-tx"),
        ]
        for t in self._threads:
            t.start()
        return self

    def _send(self) -> None:
        assert self._tx is not None
        interval = 1.0 / self.rate
        start = time.monotonic()
        seq = 0
        while not self._stop.is_set():
            now = time.monotonic()
            if now - start >= self.duration:
                break
            payload = _PACKET.pack(_MAGIC, self.token, seq, now)
            with contextlib.suppress(OSError):  # no route for a moment: counted as lost
                self._tx.sendto(payload, (str(self.plan.inet_host), self.port))
            seq += 1
            self.sent = seq
            self._stop.wait(max(0.0, start + seq * interval - time.monotonic()))

    def _receive(self) -> None:
        assert self._rx is not None
        while not self._stop_rx.is_set():
            try:
                data, (source, _port) = self._rx.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(data) != _PACKET.size:
                continue
            magic, token, seq, sent = _PACKET.unpack(data)
            if magic == _MAGIC and token == self.token:
                self.records.append(ProbeRecord(seq, source, sent, time.monotonic()))

    def stop(self) -> list[ProbeRecord]:
        """Stop sending, give in-flight probes 0.2 s to land, stop receiving; the records."""
        self._stop.set()
        self._threads[1].join(timeout=2)
        time.sleep(0.2)
        self._stop_rx.set()
        self._threads[0].join(timeout=2)
        for s in (self._tx, self._rx):
            if s is not None:
                s.close()
        return list(self.records)

    def __enter__(self) -> ProbeStream:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
