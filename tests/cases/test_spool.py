"""Escalations spooled during a database outage: each becomes exactly one case, whichever dispatchers import it."""

from __future__ import annotations

import os
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from bot.cases.models import Base
from bot.cases.responders import Responders
from bot.cases.spool import EscalationSpool, open_or_spool
from bot.spool import CLAIM_SECONDS
from bot.cases.store import CaseStore
from bot.db import make_engine
from bot.notify.messages import notification_text

RESPONDERS = Responders.from_data({"responders": [{"id": "unicef-1", "organization": "UNICEF", "telegram_chat_id": 1}]})
REQUEST = {"conversation_id": "tg-child", "organization": "UNICEF", "priority": "high", "category": "child_at_risk",
           "language": "ne", "country": "NP", "channel": "telegram", "indicators": [], "summary": "child"}


@pytest.fixture
def store(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield CaseStore(engine, RESPONDERS, notification_text)
    engine.dispose()


def down() -> CaseStore:
    raise OperationalError("SELECT 1", {}, Exception("could not connect to server: Connection refused"))


def test_a_spooled_escalation_keeps_its_reference_and_is_imported_once(store, tmp_path):
    spool = EscalationSpool(tmp_path / "spool")
    opened = open_or_spool(down, spool, **REQUEST)
    assert opened.created and opened.case.reference.startswith("HL-") and spool.pending() == 1
    assert "tg-child" in (tmp_path / "spool").glob("*.json").__next__().read_text()  # pseudonym only, nothing else to hide
    assert spool.import_into(store) == 1
    case = store.get(opened.case.reference)
    assert case.organization == "UNICEF" and case.country == "NP"
    assert [row.responder_id for row in store.pending_outbox()] == ["unicef-1"]
    assert spool.import_into(store) == 0 and spool.pending() == 0


def test_two_dispatchers_importing_at_once_make_one_case_per_escalation(store, tmp_path):
    spool = EscalationSpool(tmp_path / "spool")
    for index in range(10):
        open_or_spool(down, spool, **{**REQUEST, "conversation_id": f"c{index}"})
    imported: list[int] = []
    workers = [threading.Thread(target=lambda: imported.append(EscalationSpool(tmp_path / "spool").import_into(store)))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(imported) == 10 and len(store.list()) == 10 and len(store.pending_outbox()) == 10


def test_an_escalation_claimed_by_a_dispatcher_that_died_is_imported_later(store, tmp_path):
    spool = EscalationSpool(tmp_path / "spool")
    open_or_spool(down, spool, **REQUEST)
    claimed = spool.claim()  # that dispatcher dies now
    assert len(claimed) == 1 and spool.import_into(store) == 0  # not before its claim runs out
    old = time.time() - CLAIM_SECONDS - 1
    os.utime(claimed[0][0], (old, old))
    assert spool.import_into(store) == 1 and len(store.list()) == 1


def test_while_the_database_is_still_down_nothing_is_lost(tmp_path):
    spool = EscalationSpool(tmp_path / "spool")
    open_or_spool(down, spool, **REQUEST)

    class Down:
        def open_case(self, **_):
            down()

    with pytest.raises(OperationalError):
        spool.import_into(Down())  # type: ignore[arg-type]
    assert spool.pending() == 1


def test_other_errors_are_not_hidden_in_the_spool(tmp_path):
    def broken() -> CaseStore:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        open_or_spool(broken, EscalationSpool(tmp_path / "spool"), **REQUEST)


def test_what_counts_as_a_failure_that_passes():
    from sqlalchemy.exc import IntegrityError

    from bot.transient import is_transient

    assert is_transient(OperationalError("SELECT 1", {}, Exception("the database system is shutting down")))
    assert is_transient(ConnectionRefusedError())
    wrapped = RuntimeError("action failed")
    wrapped.__cause__ = OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    assert is_transient(wrapped)
    assert not is_transient(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_transient(ValueError("a bug"))
