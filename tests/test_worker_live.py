"""The gunicorn worker's main loop never waits on a client (it also tells the arbiter the
worker is alive: a stall past 60 s is a WORKER TIMEOUT)."""

import socket
import time

import pytest
import requests

pytestmark = pytest.mark.live
PING = b"GET /v1/_ping HTTP/1.1\r\nHost: test\r\n\r\n"


def answered(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b"}\n"):
        data += sock.recv(4096)
    return data


def test_connections_closed_on_clients_that_never_hang_up_do_not_stall_the_worker(live_server):
    # One worker keeping 8 - 4 = 4 idle connections alive; more are answered Connection: close.
    settings = {"HD_WORKER_CONNECTIONS": "8", "HD_FEED_WAITERS": "0", "HD_KEEPALIVE_S": "60"}
    server = live_server(workers=1, env=settings)
    host, port = server.url.removeprefix("http://").split(":")
    idle, silent = [], []
    for _ in range(4):  # fill the worker's keep-alive allowance
        sock = socket.create_connection((host, int(port)))
        sock.sendall(PING)
        assert b"200 OK" in answered(sock)
        idle.append(sock)
    time.sleep(0.5)  # the main loop files them as kept alive after answering
    for _ in range(3):  # answered "Connection: close", then the client never closes
        sock = socket.create_connection((host, int(port)))
        sock.sendall(PING)
        silent.append(sock)
    time.sleep(0.3)
    began = time.monotonic()
    assert requests.get(server.url + "/v1/_ping", timeout=30).status_code == 200
    # gthread's own close lingers for up to 2 s on each silent client, on the main loop: it
    # held this ping 1.8 s (the fixed worker answers it in a few ms).
    assert time.monotonic() - began < 1.0
    assert all(b"Connection: close" in answered(sock) for sock in silent)
    for sock in idle + silent:
        sock.close()
