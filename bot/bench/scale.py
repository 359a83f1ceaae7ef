"""`helpline scale-test`: several Rasa servers behind nginx on PostgreSQL and Redis, under load and faults.

Everything runs on loopback in a private home, with private PostgreSQL
schemas (database `test` on 127.0.0.1:5432), a private Redis database and a
stand-in Telegram Bot API:
1. order and exactly-once: 200 people each send 5 messages in a quick burst
   (half by SMS: signed Twilio webhooks; half on Telegram: updates), 150 ms
   apart, not waiting for answers, some webhooks sent twice; afterwards every
   tracker must hold each message once, in the order sent. Run with our
   atomic lock and with Rasa's stock Redis lock store, side by side.
2. throughput: people who wait for each answer, through nginx, with one
   server and with two.
3. faults: a server killed, PostgreSQL restarted, during the bursts; clients
   retry failed webhooks with the same MessageSid / update_id; each message
   must end up processed exactly once, and every child's report sent during
   the fault must make exactly one UNICEF case and one notification.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlencode

import httpx
from sqlalchemy import create_engine, text

from bot.bench.data import heldout
from bot.bench.load import conversations
from bot.bench.stack import BENCH_TELEGRAM_SECRET, BENCH_TELEGRAM_TOKEN, BENCH_TOKEN, BENCH_TWILIO_TOKEN
from bot.bench.telegram_standin import BotApiStandIn, StandInThread
from bot.settings import PROJECT_ROOT, child_environment, load_settings

POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379/14"
PSEUDONYM_KEY = "scale-pseudonym-key-0123456789"
RESPONDER_CHAT = 4242
CHILD_REPORT = "I am 13 and the man where I work beats me and locks me in at night"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Scaled:
    model: Path
    servers: int
    lock_kind: str = "atomic"
    channel_order: bool = True
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="helpline-scale-")))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    schemas: list[str] = field(default_factory=list)
    port: int = 0
    telegram: Optional[StandInThread] = None
    sent_before: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _schema_url(self) -> str:
        schema = f"scale_{uuid.uuid4().hex[:10]}"
        with create_engine(POSTGRES, future=True).begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        self.schemas.append(schema)
        return f"{POSTGRES}?options=-csearch_path%3D{schema}"

    def start(self) -> None:
        from cryptography.fernet import Fernet

        from bot.scaled import children

        # entry point, servers above it and the action server: a free run below the ephemeral port range
        self.port = _free_run(self.servers + 2)
        actions_port = self.port + self.servers + 1
        self.database_url, self.tracker_url = self._schema_url(), self._schema_url()
        self.telegram = _telegram_standin()
        self.sent_before = len(self.telegram.standin.sent)
        values = {
            "HELPLINE_API_TOKEN": BENCH_TOKEN, "HELPLINE_PSEUDONYM_KEY": PSEUDONYM_KEY,
            "HELPLINE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "HELPLINE_DATABASE_URL": self.database_url, "HELPLINE_TRACKER_STORE_URL": self.tracker_url,
            "HELPLINE_LOCK_STORE_URL": REDIS, "HELPLINE_LOCK_STORE_KIND": self.lock_kind,
            "HELPLINE_CHANNEL_ORDER": "on" if self.channel_order else "off",
            "HELPLINE_RUNTIME_DIR": str(self.home), "HELPLINE_PORT": str(self.port),
            "HELPLINE_ACTIONS_PORT": str(actions_port), "HELPLINE_LOG_LEVEL": "WARNING",
            "HELPLINE_RESPONDERS": str(self.home / "responders.yml"),
            "HELPLINE_PUBLIC_URL": f"http://127.0.0.1:{self.port}", "HELPLINE_RATE_LIMIT_PER_MINUTE": "0",
            "TWILIO_ACCOUNT_SID": "ACscale", "TWILIO_AUTH_TOKEN": BENCH_TWILIO_TOKEN, "TWILIO_FROM_NUMBER": "+15005550006",
            "TELEGRAM_BOT_TOKEN": BENCH_TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": BENCH_TELEGRAM_SECRET,
            "TELEGRAM_API_URL": self.telegram.base_url,
        }
        (self.home / "responders.yml").write_text(
            f"responders:\n  - {{id: unicef-scale, organization: UNICEF, telegram_chat_id: {RESPONDER_CHAT}}}\n"
            f"  - {{id: iom-scale, organization: IOM, telegram_chat_id: {RESPONDER_CHAT + 1}}}\n")
        base = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "TELEGRAM_", "TWILIO_"))}
        settings = load_settings(environ={**base, **values})
        env = child_environment(settings, base={**base, **values})
        from bot.db import engine_for

        engine_for(self.database_url)  # migrate once before the servers start, as `helpline run` does
        log = open(self.home / "servers.log", "ab")
        for child in children(settings, self.model, self.servers, self.home):
            self.processes[child.name] = subprocess.Popen(list(child.command), env={**env, **(child.env or {})}, cwd=str(PROJECT_ROOT),
                                                          stdout=log, stderr=log, start_new_session=True)
        deadline = time.time() + 300
        ready: set[int] = set()
        ports = [self.port + 1 + i for i in range(self.servers)]
        while time.time() < deadline and len(ready) < len(ports):
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"the {name} exited (see {self.home / 'servers.log'})")
            for port in ports:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).status_code == 200:
                        ready.add(port)
                except httpx.HTTPError:
                    pass
            time.sleep(0.5)
        if len(ready) < len(ports):
            raise RuntimeError("the servers did not start within 300 s")
        httpx.post(f"{self.base_url}/webhooks/rest/webhook?token={BENCH_TOKEN}", json={"sender": "warm", "message": "hello"}, timeout=60)

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        with create_engine(POSTGRES, future=True).begin() as connection:
            for schema in self.schemas:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))

    def wait_until_handled(self, timeout: float = 180.0) -> Optional[float]:
        """Seconds until no recorded SMS is left unhandled (the sweep answers those a dead server left)."""
        engine = create_engine(self.database_url, future=True)
        started = time.perf_counter()
        try:
            while time.perf_counter() - started < timeout:
                with engine.connect() as connection:
                    left = connection.execute(text("SELECT COUNT(*) FROM inbound_messages WHERE handled_at IS NULL")).scalar()
                if not left:
                    return round(time.perf_counter() - started, 1)
                time.sleep(1)
            return None
        finally:
            engine.dispose()

    def tracker_texts(self) -> dict[str, list[str]]:
        """User messages per conversation, in the order the tracker stored them."""
        engine = create_engine(self.tracker_url, future=True)
        found: dict[str, list[str]] = {}
        with engine.connect() as connection:
            for sender, data in connection.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'user' ORDER BY id")):
                found.setdefault(sender, []).append(json.loads(data).get("text") or "")
        engine.dispose()
        return found

    def child_cases(self, conversations: list[str]) -> dict[str, Any]:
        """For each child's report: UNICEF cases and new-case notifications (each should be exactly one),
        and how many notifications reached the responder's Telegram (the stand-in)."""
        engine = create_engine(self.database_url, future=True)
        cases: dict[str, int] = {}
        notifications: dict[str, int] = {}
        with engine.connect() as connection:
            for conversation in conversations:
                cases[conversation] = int(connection.execute(text(
                    "SELECT COUNT(*) FROM cases WHERE conversation_id = :c AND organization = 'UNICEF'"), {"c": conversation}).scalar() or 0)
                notifications[conversation] = int(connection.execute(text(
                    "SELECT COUNT(*) FROM outbox WHERE kind = 'new_case' AND case_id IN (SELECT id FROM cases WHERE conversation_id = :c)"),
                    {"c": conversation}).scalar() or 0)
            undelivered = 0
            for _ in range(60):  # the dispatchers poll every second; give them time to deliver
                undelivered = int(connection.execute(text("SELECT COUNT(*) FROM outbox WHERE status != 'sent'")).scalar() or 0)
                if not undelivered:
                    break
                time.sleep(0.5)
            kinds = {kind: int(n) for kind, n in connection.execute(text("SELECT kind, COUNT(*) FROM outbox GROUP BY kind"))}
        engine.dispose()
        sent = self.telegram.standin.sent[self.sent_before:] if self.telegram else []
        delivered = sum(1 for m in sent if str(m.get("chat_id")) == str(RESPONDER_CHAT))
        return {"reports": len(conversations),
                "with_exactly_one_unicef_case": sum(1 for c in conversations if cases[c] == 1),
                "without_a_case": sum(1 for c in conversations if cases[c] == 0),
                "with_exactly_one_notification": sum(1 for c in conversations if notifications[c] == 1),
                "telegram_messages_to_the_unicef_responder": delivered, "outbox_rows_by_kind": kinds,
                "outbox_rows_not_yet_sent": undelivered}


_STANDIN: list[StandInThread] = []


def _telegram_standin() -> StandInThread:
    """One stand-in Bot API for the whole run (Sanic 21 cannot start a second app in another thread)."""
    if not _STANDIN:
        _STANDIN.append(StandInThread(BotApiStandIn(BENCH_TELEGRAM_TOKEN)).start())
    return _STANDIN[0]


def _free_run(count: int) -> int:
    """The first of `count` consecutive ports that can all be bound now (outside Linux's ephemeral range)."""
    import random
    import socket

    for _ in range(200):
        base = random.randrange(20_000, 30_000)
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free run of local ports")


def _phone(index: int, run: str) -> str:
    return f"+1555{abs(hash((run, index))) % 10_000_000:07d}"


def _conversation_id(address: str, channel: str = "twilio_sms") -> str:
    from bot.privacy.identity import pseudonym

    return pseudonym(channel, address, PSEUDONYM_KEY)


def _write(base_url: str, path: str, body: bytes, headers: dict[str, str]) -> socket.socket:
    """Connect and write the whole request now, blocking: when this returns the request is in nginx's socket
    buffer, so a person's messages reach the helpline in the order they were sent (with a pooled HTTP client,
    a request waiting for a connection was sometimes written after a later one: the load's own disorder)."""
    host, _, port = base_url.split("://", 1)[1].partition(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    sock.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {len(body)}\r\n"
                 f"Connection: close\r\n{head}\r\n".encode() + body)
    sock.setblocking(False)
    return sock


async def _status(sock: socket.socket, timeout: float = 90.0) -> int:
    """The HTTP status of the answer on a socket written by `_write`."""
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
        await asyncio.wait_for(reader.read(), timeout)
        return int(line.split()[1]) if line.startswith(b"HTTP/") else 0
    finally:
        writer.close()


def _sms_request(base_url: str, phone: str, sid: str, body: str) -> socket.socket:
    from twilio.request_validator import RequestValidator

    fields = {"MessageSid": sid, "AccountSid": "ACscale", "From": phone, "To": "+15005550006", "Body": body, "NumMedia": "0"}
    signature = RequestValidator(BENCH_TWILIO_TOKEN).compute_signature(f"{base_url}/webhooks/twilio_sms/webhook", fields)
    return _write(base_url, "/webhooks/twilio_sms/webhook", urlencode(fields).encode(),
                  {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"})


def _telegram_request(base_url: str, chat: int, update_id: int, body: str) -> socket.socket:
    update = {"update_id": update_id, "message": {"message_id": update_id, "date": int(time.time()), "text": body,
                                                  "chat": {"id": chat, "type": "private"},
                                                  "from": {"id": chat, "is_bot": False, "first_name": "P"}}}
    return _write(base_url, "/webhooks/telegram/webhook", json.dumps(update).encode(),
                  {"X-Telegram-Bot-Api-Secret-Token": BENCH_TELEGRAM_SECRET, "Content-Type": "application/json"})


async def _sms(base_url: str, phone: str, sid: str, body: str) -> int:
    return await _status(_sms_request(base_url, phone, sid, body))


@dataclass
class Person:
    """One person of the load: writes by SMS (even index) or on Telegram (odd index)."""

    index: int
    run: str
    channel: str = field(init=False)
    address: str = field(init=False)

    def __post_init__(self) -> None:
        self.channel = "twilio_sms" if self.index % 2 == 0 else "telegram"
        self.address = _phone(self.index, self.run) if self.channel == "twilio_sms" else str(7_000_000_000 + self.index)

    @property
    def conversation(self) -> str:
        return _conversation_id(self.address, self.channel)

    def webhook_id(self, turn: int) -> str:
        return f"SM{self.run}{self.index:05d}{turn:02d}".ljust(34, "0") if self.channel == "twilio_sms" else \
            str(self.index * 100 + turn + 1)

    def write(self, base_url: str, turn: int, body: str) -> socket.socket:
        if self.channel == "twilio_sms":
            return _sms_request(base_url, self.address, self.webhook_id(turn), body)
        return _telegram_request(base_url, int(self.address), int(self.webhook_id(turn)), body)


async def bursts(stack: Scaled, scripts: list[tuple[str, list[str]]], concurrency: int, spacing: float,
                 duplicates_every: int = 10, during: Optional[Any] = None, reporters: int = 0) -> dict[str, Any]:
    """Each person sends their messages `spacing` s apart without waiting; failed webhooks are retried like Twilio
    and Telegram would, with the same id. `reporters` more people each report a child at risk during the load."""
    run = uuid.uuid4().hex[:6]
    sent: dict[str, list[str]] = {}
    failures = 0
    retries = 0
    semaphore = asyncio.Semaphore(concurrency)
    messages = [m for _, m in scripts] + [["hello", CHILD_REPORT, "please help me"]] * reporters
    child_conversations: list[str] = []

    def write(person: Person, turn: int, body: str) -> Optional[socket.socket]:
        try:
            return person.write(stack.base_url, turn, body)
        except OSError:
            return None

    async def deliver(person: Person, turn: int, body: str, sock: Optional[socket.socket]) -> None:
        nonlocal failures, retries
        for attempt in range(6):
            try:
                if sock is not None and await _status(sock) == 200:
                    return
            except (OSError, asyncio.TimeoutError, ValueError, IndexError):
                pass
            retries += 1
            await asyncio.sleep(1.0 + attempt)  # the same id again, as a retrying client does
            sock = write(person, turn, body)
        failures += 1

    async def speak(person: Person, texts: list[str]) -> None:
        async with semaphore:
            sent[person.conversation] = texts
            tasks = []
            for turn, body in enumerate(texts):
                tasks.append(asyncio.ensure_future(deliver(person, turn, body, write(person, turn, body))))
                if duplicates_every and (person.index * 5 + turn) % duplicates_every == 0:  # a webhook sent twice
                    tasks.append(asyncio.ensure_future(deliver(person, turn, body, write(person, turn, body))))
                await asyncio.sleep(spacing)
            await asyncio.gather(*tasks)

    people = []
    channel_of: dict[str, str] = {}
    for index, script in enumerate(messages):
        person = Person(index, run)
        channel_of[person.conversation] = person.channel
        if index >= len(scripts):
            child_conversations.append(person.conversation)
        texts = [f"{m} ({i + 1})" for i, m in enumerate(script)]  # the same words twice must stay two messages
        people.append((person, texts))
    started = time.perf_counter()
    work = asyncio.gather(*(speak(person, texts) for person, texts in people))
    if during is not None:
        await asyncio.gather(work, during())
    else:
        await work
    seconds = time.perf_counter() - started
    settled = await asyncio.to_thread(stack.wait_until_handled)
    stored = stack.tracker_texts()
    lost = duplicated = out_of_order = 0
    out_of_order_by_channel: dict[str, int] = {}
    examples: list[dict[str, Any]] = []
    for conversation, texts in sent.items():
        got = stored.get(conversation, [])
        lost += sum(1 for t in texts if t not in got)
        duplicated += sum(max(0, got.count(t) - 1) for t in texts)
        kept = [t for t in got if t in texts]
        deduplicated = list(dict.fromkeys(kept))
        if deduplicated != [t for t in texts if t in deduplicated]:
            out_of_order += 1
            out_of_order_by_channel[channel_of[conversation]] = out_of_order_by_channel.get(channel_of[conversation], 0) + 1
            examples.append({"channel": channel_of[conversation], "sent": texts, "stored": got})
    result = {"people": len(sent), "messages": sum(len(t) for t in sent.values()), "seconds": round(seconds, 1),
              "lost": lost, "processed_twice": duplicated, "conversations_out_of_order": out_of_order,
              "out_of_order_by_channel": out_of_order_by_channel,
              "webhook_failures_after_retries": failures, "client_retries": retries,
              "seconds_until_all_handled": settled, "examples": examples[:2]}
    if reporters:
        result["child_reports"] = await asyncio.to_thread(stack.child_cases, child_conversations)
    return result


async def waiting_people(stack: Scaled, scripts: list[tuple[str, list[str]]], concurrency: int) -> dict[str, Any]:
    from bot.bench.load import rest_sender, run_load

    result = await run_load(stack.base_url, rest_sender(BENCH_TOKEN), scripts, concurrency, 180.0)
    return result.summary()


async def child_report_twice(stack: Scaled) -> dict[str, Any]:
    """A child's report sent twice with the same MessageSid (and once more as a new message), through nginx."""
    phone = _phone(999_999, uuid.uuid4().hex[:6])
    body = "I am 13 and the man where I work beats me and locks me in at night"
    statuses = list(await asyncio.gather(*(_sms(stack.base_url, phone, "SMchild".ljust(34, "0"), body) for _ in range(2))))
    statuses.append(await _sms(stack.base_url, phone, "SMchild2".ljust(34, "0"), body))
    await asyncio.to_thread(stack.wait_until_handled)
    engine = create_engine(stack.database_url, future=True)
    conversation = _conversation_id(phone)
    with engine.connect() as connection:
        cases = connection.execute(text("SELECT organization, id FROM cases WHERE conversation_id = :c"), {"c": conversation}).all()
        notifications = connection.execute(text("SELECT COUNT(*) FROM outbox WHERE kind = 'new_case' AND case_id IN "
                                                "(SELECT id FROM cases WHERE conversation_id = :c)"), {"c": conversation}).scalar()
    engine.dispose()
    return {"http": statuses, "cases": [c[0] for c in cases], "new_case_notifications": int(notifications or 0)}


def restart_postgres() -> Optional[str]:
    """Restart the local PostgreSQL cluster (Debian's pg_ctlcluster); None when this machine cannot."""
    import shutil

    if os.geteuid() != 0 or not shutil.which("pg_ctlcluster"):
        return "skipped: needs root and pg_ctlcluster"
    clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True).stdout.split()
    if len(clusters) < 2:
        return "skipped: no cluster found"
    subprocess.run(["pg_ctlcluster", clusters[0], clusters[1], "restart"], check=True, timeout=120)
    return None


def run(root: Path, model: Path, people: int = 200) -> int:
    rows = heldout(root)
    languages = ["en", "fr", "es", "pt", "ar", "ru", "uk", "ne", "ur", "fa", "bn"]
    scripts = conversations(rows, languages, people, seed=11)
    report: dict[str, Any] = {"people": people, "messages_each": 5}

    # our atomic lock and Rasa's stock one, each with and without the channels' turn (channels/ordering.py)
    for kind, turn in (("atomic", True), ("stock", True), ("atomic", False), ("stock", False)):
        name = f"bursts_{kind}_lock" + ("" if turn else "_without_channel_turn")
        _log(f"two servers behind nginx, {kind} Redis lock{'' if turn else ', no channel turn'}: {people} people x 5 messages in bursts")
        stack = Scaled(model, 2, kind, channel_order=turn)
        try:
            stack.start()
            report[name] = asyncio.run(bursts(stack, scripts, 40, 0.15))
            _log(f"  {report[name]}")
            if kind == "atomic" and turn:
                report["child_report_through_nginx"] = asyncio.run(child_report_twice(stack))
                _log(f"  child report: {report['child_report_through_nginx']}")
        finally:
            stack.stop()

    for servers in (1, 2):
        _log(f"throughput through nginx with {servers} server(s): {people} people waiting for each answer, 20 at a time")
        stack = Scaled(model, servers)
        try:
            stack.start()
            asyncio.run(waiting_people(stack, scripts[:10], 5))  # warm-up
            report[f"throughput_{servers}_servers"] = asyncio.run(waiting_people(stack, scripts, 20))
            _log(f"  {report[f'throughput_{servers}_servers']}")
        finally:
            stack.stop()
    one = report["throughput_1_servers"]["messages_per_second"]
    two = report["throughput_2_servers"]["messages_per_second"]
    report["throughput_ratio_2_to_1"] = round(two / one, 2) if one else None

    _log("a server killed during the load (SIGKILL after 5 s); clients retry with the same MessageSid")
    stack = Scaled(model, 2)
    try:
        stack.start()

        async def kill_one() -> None:
            await asyncio.sleep(5)
            await asyncio.to_thread(stack.kill, "Rasa server 1")
            _log("  Rasa server 1 killed")

        report["server_killed"] = asyncio.run(bursts(stack, scripts, 40, 0.15, during=kill_one, reporters=10))
        _log(f"  {report['server_killed']}")
    finally:
        stack.stop()

    _log("PostgreSQL restarted 5 s into the bursts (2 servers)")
    stack = Scaled(model, 2)
    try:
        stack.start()
        skipped: list[str] = []

        async def restart() -> None:
            await asyncio.sleep(5)
            why = await asyncio.to_thread(restart_postgres)
            if why:
                skipped.append(why)
            _log(f"  PostgreSQL {'restart ' + why if why else 'restarted'}")

        result = asyncio.run(bursts(stack, scripts[:100], 40, 0.15, during=restart, reporters=10))
        result["after_restart_child_report"] = asyncio.run(child_report_twice(stack))
        report["postgres_restarted"] = {"skipped": skipped[0]} if skipped else result
        _log(f"  {report['postgres_restarted']}")
    finally:
        stack.stop()

    out = root / "bench"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    return 0
