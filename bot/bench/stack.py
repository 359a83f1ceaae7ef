"""The real helpline (action + NLG server, Rasa server, optionally the dispatcher) in a private temporary home.

Used by the benchmark: the same processes `make run` starts, on free local
ports, with their own SQLite databases, fake Twilio credentials (webhooks are
signed with them; nothing reaches Twilio) and a Telegram API pointed at a
local stand-in. Peak memory is read from /proc (VmHWM), so it covers the
whole run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import httpx

from bot.settings import PROJECT_ROOT, child_environment, load_settings

BENCH_TOKEN = "bench-token-0123456789abcdef"
BENCH_TWILIO_TOKEN = "bench-twilio-auth-token"
BENCH_TELEGRAM_TOKEN = "123456:BENCH"
BENCH_TELEGRAM_SECRET = "bench-telegram-secret-0123"
RESPONDER_CHAT = 500


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_memory_mb(pid: int) -> Optional[float]:
    """Peak resident memory of a process (Linux /proc VmHWM), in MB; None where /proc is not available."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


@dataclass
class Stack:
    model: Path
    telegram_api_url: str = ""
    dispatcher: bool = False
    home: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="helpline-bench-")))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    port: int = 0
    started_at: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        self.port = free_port()
        actions_port = free_port()
        (self.home / "responders.yml").write_text(
            f"responders:\n  - {{id: unicef-bench, organization: UNICEF, telegram_chat_id: {RESPONDER_CHAT}}}\n"
            f"  - {{id: iom-bench, organization: IOM, telegram_chat_id: {RESPONDER_CHAT + 1}}}\n")
        values = {
            "HELPLINE_ENV": "development",
            "HELPLINE_API_TOKEN": BENCH_TOKEN,
            "HELPLINE_PSEUDONYM_KEY": "bench-pseudonym-key-0123456789",
            "HELPLINE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "HELPLINE_DATABASE_URL": f"sqlite:///{self.home / 'helpline.db'}",
            "HELPLINE_TRACKER_STORE_URL": f"sqlite:///{self.home / 'tracker.db'}",
            "HELPLINE_RUNTIME_DIR": str(self.home),
            "HELPLINE_PORT": str(self.port),
            "HELPLINE_ACTIONS_PORT": str(actions_port),
            "HELPLINE_RESPONDERS": str(self.home / "responders.yml"),
            "HELPLINE_LOG_LEVEL": "WARNING",
            "HELPLINE_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "TWILIO_ACCOUNT_SID": "ACbench", "TWILIO_AUTH_TOKEN": BENCH_TWILIO_TOKEN, "TWILIO_FROM_NUMBER": "+15005550006",
        }
        if self.telegram_api_url:
            values.update({"TELEGRAM_BOT_TOKEN": BENCH_TELEGRAM_TOKEN, "TELEGRAM_WEBHOOK_SECRET": BENCH_TELEGRAM_SECRET,
                           "TELEGRAM_API_URL": self.telegram_api_url})
        base = {k: v for k, v in os.environ.items() if not k.startswith(("HELPLINE_", "TELEGRAM_", "TWILIO_"))}
        return child_environment(load_settings(environ={**base, **values}), base={**base, **values})

    def start(self) -> None:
        env = self.environment()
        log = open(self.home / "servers.log", "ab")
        self.started_at = time.perf_counter()
        commands = {"action server": [sys.executable, "-m", "actions.server"],
                    "Rasa server": [sys.executable, "-m", "rasa_ext.serve", str(self.model)]}
        if self.dispatcher:
            commands["dispatcher"] = [sys.executable, "-m", "bot.notify.dispatcher"]
        for name, command in commands.items():
            self.processes[name] = subprocess.Popen(command, env=env, cwd=str(PROJECT_ROOT), stdout=log, stderr=log,
                                                    start_new_session=True)

    def wait_first_answer(self, timeout: float = 240.0) -> float:
        """Seconds from start to the first answer through the REST channel."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"the {name} exited (see {self.home / 'servers.log'})")
            try:
                answer = httpx.post(f"{self.base_url}/webhooks/rest/webhook?token={BENCH_TOKEN}",
                                    json={"sender": "bench-start", "message": "hello"}, timeout=30)
                if answer.status_code == 200 and answer.json():
                    return round(time.perf_counter() - self.started_at, 1)
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"no answer within {timeout:.0f} s (see {self.home / 'servers.log'})")

    def peak_memory(self) -> dict[str, Optional[float]]:
        return {name: peak_memory_mb(process.pid) for name, process in self.processes.items()}

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    def __enter__(self) -> "Stack":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
