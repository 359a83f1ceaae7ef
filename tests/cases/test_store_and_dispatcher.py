"""Cases are stored before anyone is notified, never duplicated, and notifications survive outages."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest

from bot.cases.responders import Responders
from bot.cases.store import CaseError, CaseStore
from bot.db import make_engine
from bot.cases.models import Base
from bot.notify.dispatcher import Dispatcher
from bot.notify.messages import notification_text
from bot.notify.senders import DeliveryError
from bot.risk.triage import default_policy

RESPONDERS = Responders.from_data({"responders": [
    {"id": "unicef-np", "organization": "UNICEF", "countries": ["NP"], "languages": ["ne"], "telegram_chat_id": 111},
    {"id": "unicef-any", "organization": "UNICEF", "telegram_chat_id": 112},
    {"id": "iom-np", "organization": "IOM", "countries": ["NP"], "telegram_chat_id": 221, "phone": "+9770000000"},
    {"id": "iom-ua", "organization": "IOM", "countries": ["UA"], "languages": ["uk", "ru"], "telegram_chat_id": 222},
]})


class FakeSender:
    def __init__(self) -> None:
        self.up = True
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, channel, address, text):
        if not self.up:
            raise DeliveryError("network unreachable")
        self.sent.append((channel, address, text))


class Clock:
    """Controllable time, starting just after rows are written (the database stamps them with real time)."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)

    def __call__(self):
        return self.now


@pytest.fixture
def store(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield CaseStore(engine, RESPONDERS, notification_text)
    engine.dispose()


def open_child_case(store, conversation="conv-1"):
    return store.open_case(conversation, "UNICEF", "high", "child_at_risk", language="ne", country="NP", channel="telegram")


def test_case_and_outbox_are_written_together_before_notification(store):
    opened = open_child_case(store)
    assert opened.created and opened.case.reference.startswith("HL-") and opened.case.status == "new"
    rows = store.pending_outbox()
    # UNICEF responders covering Nepal and Nepali (one of them covers everywhere); no IOM responder
    assert {(r.responder_id, r.channel) for r in rows} == {("unicef-np", "telegram"), ("unicef-any", "telegram")}
    assert opened.case.reference in rows[0].text and "/claim" in rows[0].text
    assert [e.kind for e in store.events(opened.case.reference)] == ["created"]


def test_a_repeated_message_creates_no_second_case(store):
    first = open_child_case(store)
    queued = len(store.pending_outbox())
    again = open_child_case(store)
    assert not again.created and again.case.reference == first.case.reference
    assert len(store.list()) == 1 and len(store.pending_outbox()) == queued


def test_concurrent_creation_makes_one_case(store):
    results = []

    def worker():
        results.append(store.open_case("conv-race", "IOM", "urgent", "immediate_danger", country="UA", language="uk"))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len({r.case.reference for r in results}) == 1
    assert sum(r.created for r in results) == 1
    assert len(store.list()) == 1


def test_a_child_signal_hands_an_open_iom_case_to_unicef_and_raises_priority(store):
    store.open_case("conv-2", "IOM", "normal", "exploitation", country="NP")
    escalated = store.open_case("conv-2", "UNICEF", "high", "child_at_risk", country="NP").case
    assert (escalated.organization, escalated.priority) == ("UNICEF", "high")
    assert any(r.responder_id.startswith("unicef") for r in store.pending_outbox())


def test_outage_then_recovery_delivers_once_even_after_a_restart(store):
    reference = open_child_case(store).case.reference
    clock, sender = Clock(), FakeSender()
    sender.up = False
    first = Dispatcher(store, sender, default_policy().renotify, clock=clock, worker="a")
    assert asyncio.run(first.run_once()) == 0
    assert store.get(reference).status == "new" and len(store.pending_outbox()) == 2
    # the API comes back, and a new dispatcher process starts (restart)
    sender.up = True
    clock.now += dt.timedelta(seconds=5)
    restarted = Dispatcher(store, sender, default_policy().renotify, clock=clock, worker="b")
    assert asyncio.run(restarted.run_once()) == 2
    for _ in range(3):
        clock.now += dt.timedelta(seconds=30)
        asyncio.run(restarted.run_once())
    assert len(sender.sent) == 2  # one per responder, each once
    assert len({address for _, address, _ in sender.sent}) == 2
    assert store.get(reference).status == "notified"


def test_a_row_leased_by_a_crashed_dispatcher_is_delivered_after_the_lease(store):
    open_child_case(store)
    clock, sender = Clock(), FakeSender()
    assert len(store.lease_due("crashed", now=clock.now)) == 2  # leased, then the process dies
    dispatcher = Dispatcher(store, sender, {}, clock=clock, worker="b")
    assert asyncio.run(dispatcher.run_once()) == 0  # still leased
    clock.now += dt.timedelta(seconds=61)
    assert asyncio.run(dispatcher.run_once()) == 2
    assert len(sender.sent) == 2


def test_an_answer_for_a_person_taken_by_a_crashed_dispatcher_is_sent_after_the_lease(store):
    """A responder's reply or a late bot answer must not stay 'sending' forever because a dispatcher died."""
    from cryptography.fernet import Fernet

    from bot.handoff import Handoff
    from bot.privacy.contacts import ContactStore

    contacts = ContactStore(store.engine, Fernet.generate_key().decode())
    contacts.remember("sms-p", "twilio_sms", "+9779812345678")
    handoff = Handoff(store)
    handoff.queue_answers("sms-p", "twilio_sms", ["your answer"])
    clock, sender = Clock(), FakeSender()
    assert len(handoff.claim_for_delivery(("twilio_sms",), clock.now)) == 1  # taken, then that process dies
    dispatcher = Dispatcher(store, sender, {}, clock=clock, worker="b", contacts=contacts)
    assert asyncio.run(dispatcher.run_once()) == 0 and sender.sent == []  # still being sent by the other one
    clock.now += dt.timedelta(seconds=61)
    asyncio.run(dispatcher.run_once())
    assert sender.sent == [("sms", "+9779812345678", "your answer")]
    clock.now += dt.timedelta(seconds=61)
    asyncio.run(dispatcher.run_once())
    assert len(sender.sent) == 1  # delivered: never again


def test_unclaimed_urgent_case_is_renotified_to_the_wider_group_after_five_minutes(store):
    clock, sender = Clock(), FakeSender()
    store.open_case("conv-3", "IOM", "urgent", "immediate_danger", country="UA", language="uk")
    dispatcher = Dispatcher(store, sender, default_policy().renotify, clock=clock, worker="a")
    # the case was created "now" by the database clock; move our clock relative to it
    clock.now = dt.datetime.now(dt.timezone.utc)
    asyncio.run(dispatcher.run_once())
    assert {a for _, a, _ in sender.sent} == {"222"}  # the matching IOM responder only
    clock.now += dt.timedelta(minutes=4)
    asyncio.run(dispatcher.run_once())
    assert len(sender.sent) == 1
    clock.now += dt.timedelta(minutes=1, seconds=5)
    asyncio.run(dispatcher.run_once())
    widened = {a for _, a, _ in sender.sent[1:]}
    assert widened == {"221", "222", "+9770000000"}  # every IOM responder, on every address
    assert "STILL UNCLAIMED" in sender.sent[-1][2]


def test_claimed_cases_are_not_renotified(store):
    clock, sender = Clock(), FakeSender()
    reference = store.open_case("conv-4", "IOM", "urgent", "immediate_danger", country="UA", language="uk").case.reference
    store.claim(reference, "iom-ua")
    clock.now = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)
    dispatcher = Dispatcher(store, sender, default_policy().renotify, clock=clock, worker="a")
    asyncio.run(dispatcher.run_once())
    assert all("STILL UNCLAIMED" not in text for _, _, text in sender.sent)


def test_only_responders_of_the_organisation_may_act_and_refusals_are_recorded(store):
    reference = open_child_case(store).case.reference
    with pytest.raises(CaseError):
        store.claim(reference, "iom-np")
    with pytest.raises(CaseError):
        store.claim(reference, "stranger")
    claimed = store.claim(reference, "unicef-any")
    assert claimed.status == "claimed" and claimed.claimed_by == "unicef-any"
    with pytest.raises(CaseError):
        store.claim(reference, "unicef-np")  # already taken
    store.reply(reference, "unicef-any", "hello")
    closed = store.close(reference, "unicef-any")
    assert closed.status == "closed" and closed.open_key is None
    kinds = [(e.kind, e.actor) for e in store.events(reference)]
    assert ("refused", "iom-np") in kinds and ("refused", "stranger") in kinds
    assert ("claimed", "unicef-any") in kinds and ("reply", "unicef-any") in kinds and ("closed", "unicef-any") in kinds
    # after closing, the same conversation can open a new case
    assert open_child_case(store).created


def test_indicators_raise_priority_at_two(store):
    reference = store.open_case("conv-5", "IOM", "normal", "exploitation").case.reference
    assert store.add_indicators(reference, ["documents_kept"]).priority == "normal"
    assert store.add_indicators(reference, ["wages_withheld"]).priority == "high"
