"""A queue of small JSON files on this machine's disk, for what must survive while the shared database is down.

`save` returns once the entry is on disk (written to a temporary name,
fsynced, renamed, directory fsynced). Consumers `claim` entries by renaming
them (atomic: two processes never get the same entry), then mark each `done`
or `release` it for a later pass; an entry claimed by a process that died
comes back after CLAIM_SECONDS. Used for escalations (bot/cases/spool.py) and
SMS that arrived while their arrival could not be recorded (channels/twilio_sms.py).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any, Optional

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 300.0


class DiskSpool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, entry: dict[str, Any]) -> Path:
        """Keep one entry; durable when this returns."""
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{time.time_ns()}-{uuid.uuid4().hex}.json"
        temporary = final.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(entry, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, final)
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return final

    def pending(self) -> int:
        return sum(1 for _ in self.directory.glob("*.json")) if self.directory.exists() else 0

    def claim(self, now: Optional[float] = None) -> list[tuple[Path, dict[str, Any]]]:
        """Entries this process now owns, oldest first: (claimed path, entry)."""
        if not self.directory.exists():
            return []
        now = time.time() if now is None else now
        tag = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        candidates = sorted(self.directory.glob("*.json"))
        candidates += sorted(p for p in self.directory.glob("*.claimed-*") if _age(p, now) > CLAIM_SECONDS)
        claimed = []
        for path in candidates:
            target = self.directory / f"{path.name.split('.', 1)[0]}.claimed-{tag}"
            try:
                os.rename(path, target)  # only one process wins the rename
                os.utime(target)
            except FileNotFoundError:
                continue
            try:
                claimed.append((target, json.loads(target.read_text(encoding="utf-8"))))
            except (OSError, ValueError):
                logger.error("An unreadable spool entry was set aside: %s", target.name)
                os.rename(target, target.with_name(target.name + ".unreadable"))
        return claimed

    def done(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def set_aside(self, path: Path) -> None:
        """An entry that fails for a reason other than an outage: kept for a person, out of the queue."""
        os.rename(path, path.with_name(path.name + ".failed"))

    def release(self, path: Path) -> None:
        """Give a claimed entry back for the next pass."""
        try:
            os.rename(path, self.directory / f"{path.name.split('.', 1)[0]}.json")
        except FileNotFoundError:
            pass


def _age(path: Path, now: float) -> float:
    try:
        return now - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
