"""Shared fixtures for the action tests: a case store on a private SQLite database that the actions use."""

from __future__ import annotations

import pytest

import actions.triage as triage_module
import bot.cases.service as service
from bot.cases.models import Base
from bot.cases.responders import Responders
from bot.cases.spool import EscalationSpool
from bot.cases.store import CaseStore
from bot.db import make_engine
from bot.notify.messages import notification_text

RESPONDERS = Responders.from_data({"responders": [
    {"id": "unicef-1", "organization": "UNICEF", "telegram_chat_id": 1},
    {"id": "iom-1", "organization": "IOM", "telegram_chat_id": 2},
]})


@pytest.fixture
def store(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    Base.metadata.create_all(engine)
    case_store = CaseStore(engine, RESPONDERS, notification_text)
    monkeypatch.setattr(triage_module, "default_store", lambda: case_store)
    monkeypatch.setattr(service, "default_store", lambda: case_store)
    monkeypatch.setattr(triage_module, "default_spool", lambda: EscalationSpool(tmp_path / "spool"))
    return case_store
