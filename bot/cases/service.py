"""The configured case store for this process (database URL and responders from settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.cases.responders import Responders
from bot.cases.spool import EscalationSpool
from bot.cases.store import CaseStore
from bot.db import engine_for
from bot.notify.messages import notification_text
from bot.settings import load_settings


def responders_path() -> Path:
    import os

    settings = load_settings()
    return Path(os.environ.get("HELPLINE_RESPONDERS") or settings.raw.get("HELPLINE_RESPONDERS") or settings.root / "responders.yml")


@lru_cache(maxsize=1)
def default_store() -> CaseStore:
    settings = load_settings()
    return CaseStore(engine_for(settings.database_url), Responders.load(responders_path()), notification_text)


@lru_cache(maxsize=1)
def default_spool() -> EscalationSpool:
    """Escalations kept on this machine's disk while the database is unreachable (bot/cases/spool.py)."""
    from bot.settings import runtime_dir

    return EscalationSpool(runtime_dir(load_settings()) / "spool" / "escalations")
