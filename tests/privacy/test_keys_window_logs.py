"""Key rotation, the no-first-SMS window, and texts masked in every log record."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot import logsafety
from bot.cases.models import Base, UserMessage, utcnow
from bot.cases.responders import Responders
from bot.cases.store import CaseStore
from bot.db import make_engine
from bot.handoff import Handoff
from bot.inbound import InboundLog, InboundMessage
from bot.notify.dispatcher import Dispatcher
from bot.notify.messages import notification_text
from bot.privacy.contacts import ContactStore
from bot.settings import load_settings


def test_rotating_the_key_keeps_every_contact_readable_with_the_new_key_only(tmp_path, monkeypatch, database_url):
    from bot import cli

    old_key = Fernet.generate_key().decode()
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secrets.env").write_text(
        f"HELPLINE_API_TOKEN={'t' * 32}\nHELPLINE_PSEUDONYM_KEY={'p' * 32}\nHELPLINE_ENCRYPTION_KEY={old_key}\n")
    url = database_url
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    ContactStore(engine, old_key).remember("sms-a", "twilio_sms", "+9779812345678")
    InboundLog(engine).first_time("twilio_sms", "SM1", "sms-a")
    InboundLog(engine).keep_failed("twilio_sms", "SM1", Fernet(old_key.encode()).encrypt(b"kept words"))
    monkeypatch.setattr(cli, "load_settings", lambda: load_settings(environ={"HELPLINE_DATABASE_URL": url}, root=tmp_path))
    for name in ("HELPLINE_ENCRYPTION_KEY", "HELPLINE_API_TOKEN", "HELPLINE_PSEUDONYM_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("bot.settings.PROJECT_ROOT", tmp_path)

    assert cli.main(["keys", "rotate"]) == 0

    new = load_settings(environ={}, root=tmp_path)
    assert new.encryption_key != old_key and not new.encryption_old_keys
    assert ContactStore(engine, new.encryption_key).address("sms-a") == ("twilio_sms", "+9779812345678")
    assert ContactStore(engine, old_key).address("sms-a") is None  # the old key reads nothing any more
    with engine.connect() as connection:
        kept = connection.execute(select(InboundMessage.failed_text)).scalar()
    assert Fernet(new.encryption_key.encode()).decrypt(kept) == b"kept words"
    assert oct((tmp_path / "var" / "secrets.env").stat().st_mode & 0o777) == "0o600"


class Recorder:
    def __init__(self):
        self.sent = []

    async def send(self, channel, address, text):
        self.sent.append((channel, address, text))


def test_over_sms_the_helpline_never_writes_first_after_the_window(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    contacts = ContactStore(engine, Fernet.generate_key().decode())
    store = CaseStore(engine, Responders([]), notification_text)
    contacts.remember("sms-quiet", "twilio_sms", "+9779812345678")
    with store.Session() as session:
        session.add(UserMessage(conversation_id="sms-quiet", channel="twilio_sms", text="reply from your caseworker"))
        session.commit()
    recorder = Recorder()
    later = utcnow() + dt.timedelta(hours=25)
    dispatcher = Dispatcher(store, recorder, {}, clock=lambda: later, contacts=contacts, sms_window=dt.timedelta(hours=24))

    asyncio.run(dispatcher.run_once())
    assert recorder.sent == []  # held, not sent: the person last wrote 25 hours ago

    Handoff(store).release_held("sms-quiet", now=later)  # the person writes again ...
    with store.Session() as session:
        from bot.privacy.contacts import Contact
        session.get(Contact, "sms-quiet").updated_at = later
        session.commit()
    asyncio.run(dispatcher.run_once())
    assert recorder.sent == [("sms", "+9779812345678", "reply from your caseworker")]


def test_hidden_texts_ids_and_numbers_are_masked_in_every_record(tmp_path):
    log_file = tmp_path / "all.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        logsafety.install("DEBUG")

        async def one_request():
            logsafety.hide("my boss took my passport quokkamarker", "987654321")
            logging.getLogger("rasa.core.processor").debug("Received user message 'my boss took my passport quokkamarker'")
            logging.getLogger("rasa.core.processor").debug('{"text": "\\u043c\\u043e\\u0439 quokkamarker", "sender": 987654321}')

        async def other_request():
            logging.getLogger("rasa.core.processor").debug("nothing hidden here: passport")

        async def both():
            await asyncio.gather(asyncio.create_task(one_request()), asyncio.create_task(other_request()))

        asyncio.run(both())
        logging.getLogger("twilio").warning("sent to +977 981-234-5678")
    finally:
        root.removeHandler(handler)
        handler.close()
    written = log_file.read_text(encoding="utf-8")
    assert "quokkamarker" not in written and "987654321" not in written and "981-234-5678" not in written
    assert "passport" in written  # another request's log is not touched by this one's hidden words
