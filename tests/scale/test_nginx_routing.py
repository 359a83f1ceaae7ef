"""nginx in front of several servers: each conversation always reaches the same server, bodies arrive intact,
and when that server is down its conversations move to another one (the real nginx, with the config
`helpline run --servers N` writes; skipped where nginx is not installed)."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from bot.scaled import nginx_binary, write_nginx_conf

pytestmark = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)")


class Backend:
    """A stand-in Rasa server that records which requests it received."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.seen: list[tuple[str, bytes, str]] = []
        backend = self

        class Handler(BaseHTTPRequestHandler):

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                backend.seen.append((self.path, body, self.headers.get("Host", "")))
                answer = json.dumps({"server": backend.port}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture
def front(tmp_path: Path):
    entry, first, second = _free_ports(3)
    backends = {first: Backend(first), second: Backend(second)}
    conf = write_nginx_conf(tmp_path / "nginx", "127.0.0.1", entry, [first, second])
    process = subprocess.Popen([str(nginx_binary()), "-c", str(conf), "-p", str(conf.parent), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", entry), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{entry}", backends
    finally:
        process.terminate()
        process.wait(timeout=10)
        for backend in backends.values():
            backend.stop()


def _sms(client: httpx.Client, phone: str, number: int) -> int:
    fields = {"AccountSid": "AC1", "Body": f"help me & my sister {number}", "From": phone, "MessageSid": f"SM{phone[-4:]}{number}"}
    return client.post("/webhooks/twilio_sms/webhook", content=urlencode(fields),
                       headers={"Content-Type": "application/x-www-form-urlencoded"}).json()["server"]


def _telegram(client: httpx.Client, chat: int, number: int) -> int:
    update = {"update_id": 1000 + number, "message": {"message_id": number, "from": {"id": chat, "is_bot": False},
                                                      "chat": {"id": chat, "type": "private"}, "date": 0,
                                                      "text": f"From=+15550000{number} &From=x"}}
    return client.post("/webhooks/telegram/webhook", json=update).json()["server"]


def _rest(client: httpx.Client, sender: str, number: int) -> int:
    return client.post("/webhooks/rest/webhook?token=t", json={"message": f"hello {number}", "sender": sender}).json()["server"]


def test_each_conversation_always_reaches_the_same_server_on_every_channel(front):
    url, backends = front
    with httpx.Client(base_url=url, timeout=10) as client:
        routes = {
            **{("sms", f"+977981234{i:04d}"): {_sms(client, f"+977981234{i:04d}", n) for n in range(5)} for i in range(20)},
            **{("telegram", 5_000_000 + i): {_telegram(client, 5_000_000 + i, n) for n in range(5)} for i in range(20)},
            **{("rest", f"person-{i}"): {_rest(client, f"person-{i}", n) for n in range(5)} for i in range(20)},
        }
    assert all(len(servers) == 1 for servers in routes.values()), routes
    used = {next(iter(servers)) for servers in routes.values()}
    assert used == set(backends), "60 conversations all on one server: the load is not spread"


def test_bodies_and_host_reach_the_server_unchanged(front):
    """Twilio's signature covers the body and the URL: routing must not alter either."""
    url, backends = front
    fields = urlencode({"AccountSid": "AC1", "Body": "é 😀 & =", "From": "+15551234567", "MessageSid": "SMx"})
    with httpx.Client(base_url=url, timeout=10) as client:
        server = client.post("/webhooks/twilio_sms/webhook", content=fields,
                             headers={"Content-Type": "application/x-www-form-urlencoded", "Host": "helpline.example.org"}).json()["server"]
    path, body, host = backends[server].seen[-1]
    assert (path, body.decode(), host) == ("/webhooks/twilio_sms/webhook", fields, "helpline.example.org")


def test_conversations_of_a_stopped_server_move_to_the_other(front):
    url, backends = front
    phones = [f"+2126612{i:05d}" for i in range(20)]
    with httpx.Client(base_url=url, timeout=10) as client:
        before = {phone: _sms(client, phone, 0) for phone in phones}
        stopped = before[phones[0]]
        backends[stopped].stop()
        after = {phone: _sms(client, phone, 1) for phone in phones}
    assert set(after.values()) == set(backends) - {stopped}
    # conversations of the server still running stay where they were
    assert all(after[phone] == server for phone, server in before.items() if server != stopped)
