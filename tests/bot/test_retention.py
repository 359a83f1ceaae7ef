"""Retention purge with a controllable clock, on Rasa's own SQL tracker store."""

from __future__ import annotations

import asyncio
import datetime as dt

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.cases.models import Base
from bot.cases.responders import Responders
from bot.cases.store import CaseStore
from bot.db import make_engine
from bot.notify.messages import notification_text
from bot.privacy.contacts import ContactStore
from bot.privacy.retention import purge, take_turn
from cryptography.fernet import Fernet

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)


def save_conversation(store: SQLTrackerStore, sender: str, when: dt.datetime, marker: str) -> None:
    tracker = DialogueStateTracker.from_events(sender, [UserUttered(marker, timestamp=when.timestamp())])
    asyncio.run(store.save(tracker))


def tracker_texts(engine) -> str:
    with engine.connect() as connection:
        return " ".join(row[0] for row in connection.execute(text("SELECT data FROM events")))


def test_purge_keeps_open_cases_anonymises_old_closed_ones_and_is_idempotent(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    tracker_url = database_url  # Rasa's events table beside ours, as in one PostgreSQL schema
    rasa_store = SQLTrackerStore(Domain.empty(), host=tracker_url)
    tracker_engine = create_engine(tracker_url, future=True)
    contacts = ContactStore(engine, Fernet.generate_key().decode())
    cases = CaseStore(engine, Responders([]), notification_text)

    save_conversation(rasa_store, "old-quiet", NOW - 40 * DAY, "marker-old-quiet")
    save_conversation(rasa_store, "recent", NOW - 5 * DAY, "marker-recent")
    save_conversation(rasa_store, "old-open-case", NOW - 40 * DAY, "marker-open-case")
    contacts.remember("old-quiet", "telegram", "111")
    contacts.remember("recent", "telegram", "222")
    cases.open_case("old-open-case", "UNICEF", "high", "child_at_risk")
    closed = cases.open_case("old-closed", "IOM", "normal", "exploitation").case.reference
    with engine.begin() as connection:  # closed 40 days ago
        connection.execute(text("UPDATE cases SET status='closed', open_key=NULL, closed_at=:t WHERE reference=:r"),
                           {"t": NOW - 40 * DAY, "r": closed})

    report = purge(engine, tracker_engine, 30 * DAY, now=NOW)
    remaining = tracker_texts(tracker_engine)
    assert "marker-old-quiet" not in remaining
    assert "marker-recent" in remaining and "marker-open-case" in remaining
    assert contacts.address("old-quiet") is None and contacts.address("recent") == ("telegram", "222")
    anonymised = cases.get(closed)
    assert anonymised.conversation_id == f"anonymised-{closed}" and anonymised.organization == "IOM"  # statistics kept
    assert (report.conversations, report.cases_anonymised) == (1, 1)

    again = purge(engine, tracker_engine, 30 * DAY, now=NOW)
    assert (again.conversations, again.tracker_events, again.cases_anonymised, again.contacts) == (0, 0, 0, 0)


def test_one_owner_per_day(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    assert take_turn(engine, "purge", DAY, now=NOW)
    assert not take_turn(engine, "purge", DAY, now=NOW + dt.timedelta(hours=3))
    assert take_turn(engine, "purge", DAY, now=NOW + DAY)
