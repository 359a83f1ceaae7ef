"""The reference: a stock Rasa 3.6 bot made by `rasa init`, served by `rasa run`, loaded the same way.

It is created once in a cache folder (var/bench-stock) and reused while the
Rasa version is the same; its REST channel takes the same conversations.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import httpx

from bot.bench.stack import free_port, peak_memory_mb


def stock_project(cache: Path) -> tuple[Path, Optional[float]]:
    """The `rasa init` project folder, and its training time in seconds when it was trained now."""
    import rasa

    folder = (cache / f"rasa-{rasa.__version__}").resolve()
    if list((folder / "models").glob("*.tar.gz")):
        return folder, None
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rasa", "init", "--no-prompt", "--init-dir", str(folder)], cwd=str(folder),
                   env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return folder, round(time.perf_counter() - started, 1)


class StockServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "StockServer":
        log = open(self.folder / "server.log", "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--port", str(self.port), "--interface", "127.0.0.1",
             "--credentials", "credentials.yml", "--model", "models"],
            cwd=str(self.folder), env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"}, stdout=log, stderr=log,
            start_new_session=True)
        deadline = time.time() + 240
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the stock Rasa server exited (see {self.folder / 'server.log'})")
            try:
                answer = httpx.post(f"{self.base_url}/webhooks/rest/webhook", json={"sender": "start", "message": "hello"}, timeout=30)
                if answer.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError("the stock Rasa server did not answer within 240 s")

    def peak_memory(self) -> Optional[float]:
        return peak_memory_mb(self.process.pid) if self.process else None

    def __exit__(self, *_: object) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
