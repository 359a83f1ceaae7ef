"""Erasure on request: what goes, what stays with responders, and that statistics still count it."""

from __future__ import annotations

import asyncio
import datetime as dt

from cryptography.fernet import Fernet
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import inspect, text

from bot.cases.models import Base, OutboxMessage
from bot.cases.responders import Responders
from bot.cases.store import CaseStore
from bot.db import make_engine, tracker_engine
from bot.inbound import InboundLog
from bot.notify.messages import notification_text
from bot.privacy.chatlog import ChatLog
from bot.privacy.contacts import ContactStore
from bot.privacy.erasure import Eraser
from bot.privacy.stats import counts
from bot.ratelimit import RateLimiter

PERSON = "telegram-0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
OTHER = "telegram-abababababababababababababababababababab"
RESPONDERS = Responders.from_data({"responders": [
    {"id": "iom-1", "organization": "IOM", "telegram_chat_id": 600},
    {"id": "unicef-1", "organization": "UNICEF", "telegram_chat_id": 500},
]})


class World:
    def __init__(self, database_url: str, tmp_path) -> None:
        self.engine = make_engine(database_url)
        Base.metadata.create_all(self.engine)
        tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
        self.rasa = SQLTrackerStore(Domain.empty(), host=tracker_url)
        self.tracker_engine = tracker_engine(tracker_url)
        self.store = CaseStore(self.engine, RESPONDERS, notification_text)
        self.contacts = ContactStore(self.engine, Fernet.generate_key().decode())
        self.eraser = Eraser(self.store, self.tracker_engine)

    def say(self, sender: str, text: str) -> None:
        tracker = DialogueStateTracker.from_events(sender, [UserUttered(text)])
        asyncio.run(self.rasa.save(tracker))
        self.contacts.remember(sender, "telegram", "987654321" if sender == PERSON else "123123123")
        InboundLog(self.engine).first_time("telegram", str(abs(hash((sender, text)))), sender)
        RateLimiter(self.engine).check(sender)
        ChatLog(self.engine).record(sender, 42)

    def everything(self) -> str:
        """Every row of every table of both databases, as text."""
        parts = []
        for engine in (self.engine, self.tracker_engine):
            with engine.connect() as connection:
                for table in inspect(engine).get_table_names():
                    parts += [repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table}"))]
        return "\n".join(parts)


def test_confirmed_erasure_removes_everything_of_the_person_and_keeps_anonymous_counts(database_url, tmp_path):
    world = World(database_url, tmp_path)
    world.say(PERSON, "my boss keeps my passport quokkamarker")
    world.say(OTHER, "hello wombatmarker")
    case = world.store.open_case(PERSON, "IOM", "high", "exploitation", summary="boss keeps passport quokkamarker").case
    world.store.claim(case.reference, "iom-1")

    plan = world.eraser.request(PERSON, "telegram")
    assert plan.kept_cases == [] and plan.anonymised_cases == 1
    report = world.eraser.run(PERSON)

    assert report is not None and report.done and report.cases_anonymised == 1
    everything = world.everything()
    assert PERSON not in everything and "quokkamarker" not in everything
    assert world.contacts.address(PERSON) is None
    assert "wombatmarker" in everything and world.contacts.address(OTHER) == ("telegram", "123123123")  # others untouched
    closed = world.store.get(case.reference)
    assert closed.status == "closed" and closed.summary == "" and closed.organization == "IOM"
    with world.store.Session() as session:  # the responder who held it is told it is closed, and why
        notices = session.query(OutboxMessage).filter_by(kind="erased").all()
    assert [n.responder_id for n in notices] == ["iom-1"] and case.reference in notices[0].text
    stats = counts(world.engine)
    assert stats.total_cases == 1 and stats.erasures["done"] == 1
    assert world.eraser.run(PERSON) is None  # nothing left to do: idempotent


def test_an_open_child_case_stays_with_its_responders_until_closed(database_url, tmp_path):
    world = World(database_url, tmp_path)
    world.say(PERSON, "i am 13 and they hit me quokkamarker")
    case = world.store.open_case(PERSON, "UNICEF", "urgent", "child_at_risk", summary="quokkamarker").case

    plan = world.eraser.request(PERSON, "telegram")
    assert plan.kept_cases == [(case.reference, "UNICEF")]
    report = world.eraser.run(PERSON)
    assert report is not None and not report.done and report.cases_kept == 1
    assert world.contacts.address(PERSON) == ("telegram", "987654321")  # UNICEF can still reach the child
    assert world.store.get(case.reference).summary == "quokkamarker"
    with world.tracker_engine.connect() as connection:  # the bot's own memory is gone already
        assert connection.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"), {"s": PERSON}).scalar() == 0

    assert world.eraser.sweep() == 0  # still open: nothing more
    world.store.claim(case.reference, "unicef-1")
    world.store.close(case.reference, "unicef-1")
    assert world.eraser.sweep() == 1
    everything = world.everything()
    assert PERSON not in everything and "quokkamarker" not in everything
    assert counts(world.engine).total_cases == 1


def test_a_request_no_channel_finished_is_finished_by_the_sweep(database_url, tmp_path):
    world = World(database_url, tmp_path)
    world.say(PERSON, "quokkamarker")
    asked = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    world.eraser.request(PERSON, "rest", now=asked)
    assert world.eraser.sweep(now=asked + dt.timedelta(minutes=1)) == 0  # the channel may still be on it
    assert world.eraser.sweep() == 1
    assert "quokkamarker" not in world.everything()
