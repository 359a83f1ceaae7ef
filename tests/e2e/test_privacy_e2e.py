"""End to end with the real trained model: SMS and Telegram conversations with a known phone number,
chat id and marker words, an escalation each, then a search of every file under var/, every table and the
captured logs; then an erasure on Telegram and the same search again.

Needs a trained model: `helpline test` runs this file after training (HELPLINE_E2E_MODEL); plain pytest skips it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from pathlib import Path

import pytest

MODEL = os.environ.get("HELPLINE_E2E_MODEL", "")
pytestmark = pytest.mark.skipif(not MODEL or not Path(MODEL).is_file(), reason="needs a trained model (run by `helpline test`)")

PHONE = "+9779812345678"
PHONE_FORMS = ("9779812345678", "9812345678", "977 981", "981-234")
CHAT_ID = 987654321
SMS_MARKER = "quokkamarker"
TELEGRAM_MARKER = "wombatmarker"
SECRET = "webhook-secret-0123456789"
# Where a message text may be kept during the retention period (bot/privacy/retention.py).
TEXT_MAY_BE_IN = {"events", "cases", "outbox", "user_messages"}


def files_containing(folder: Path, needle: str) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if needle.encode() in data or needle.encode("utf-16-le") in data:
                found.append(str(path.relative_to(folder)))
    return found


def tables_containing(urls: list[str], needle: str) -> set[str]:
    from sqlalchemy import create_engine, inspect, text

    found = set()
    for url in urls:
        engine = create_engine(url, future=True)
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                for row in connection.execute(text(f"SELECT * FROM {table}")):
                    if needle in repr(tuple(row)):
                        found.add(table)
        engine.dispose()
    return found


async def test_nothing_identifying_leaks_and_erasure_leaves_only_counts(home):
    from rasa.core.agent import Agent
    from rasa.core.lock_store import InMemoryLockStore
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.utils.endpoints import EndpointConfig
    from sanic import Sanic

    from actions.server import create_app as create_action_app
    from bot import logsafety
    from bot.cases.service import default_store
    from bot.notify.dispatcher import Dispatcher
    from bot.notify.senders import ChannelSender, TelegramSender
    from bot.privacy.stats import counts
    from channels.services import default_services
    from channels.telegram import TelegramInput
    from channels.twilio_sms import TwilioSmsInput
    from rasa_ext.serve import configure_logging
    from tests.channels.serving import served
    from tests.channels.test_twilio_sms import AUTH_TOKEN, PUBLIC_URL, WEBHOOK_PATH, signed, sms_fields
    from bot.bench.telegram_standin import BotApiStandIn

    root, env = home
    var = root / "var"
    urls = [env["HELPLINE_DATABASE_URL"], env["HELPLINE_TRACKER_STORE_URL"]]
    configure_logging("DEBUG")
    log_handler = logging.FileHandler(var / "log" / "helpline.log", encoding="utf-8")
    logging.getLogger().addHandler(log_handler)
    logsafety.install("DEBUG")

    standin = BotApiStandIn()
    try:
        async with served(standin.app) as api, served(create_action_app()) as actions:
            api_url = f"{api.base_url}/bot"
            agent = Agent.load(MODEL, generator=EndpointConfig(f"{actions.base_url}/nlg"),
                               tracker_store=SQLTrackerStore(Domain.empty(), host=env["HELPLINE_TRACKER_STORE_URL"]),
                               lock_store=InMemoryLockStore(), action_endpoint=EndpointConfig(f"{actions.base_url}/webhook"))
            app = Sanic("e2e_privacy_channels")
            app.ctx.agent = agent
            sms = TwilioSmsInput("AC123", AUTH_TOKEN, "+15005550006", PUBLIC_URL)
            telegram = TelegramInput(standin.token, SECRET, api_url)
            app.blueprint(sms.blueprint(agent.handle_message), url_prefix="/webhooks/twilio_sms")
            app.blueprint(telegram.blueprint(agent.handle_message), url_prefix="/webhooks/telegram")
            sids, updates = itertools.count(1), itertools.count(1)
            async with served(app) as client:
                async def text_sms(body: str) -> str:
                    payload, headers = signed(sms_fields(body=body, sid=f"SM{next(sids):032d}", sender=PHONE))
                    response = await client.post(WEBHOOK_PATH, content=payload, headers=headers)
                    assert response.status_code == 200
                    return response.text

                async def text_telegram(text: str) -> list[str]:
                    before = len(standin.sent)
                    update_id = next(updates)
                    update = {"update_id": update_id, "message": {"message_id": update_id, "date": 0, "text": text,
                                                                 "chat": {"id": CHAT_ID, "type": "private"}}}
                    response = await client.post("/webhooks/telegram/webhook", content=json.dumps(update),
                                                 headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"})
                    assert response.status_code == 200
                    return [m["text"] for m in standin.sent[before:] if str(m.get("chat_id")) == str(CHAT_ID)]

                await text_sms("hello")
                await text_sms(f"I am 14 years old and my boss beats me every day {SMS_MARKER}")
                await text_telegram("hi")
                await text_telegram(f"my employer took my passport and does not pay me {TELEGRAM_MARKER}")
                await text_telegram("1")  # consent to a caseworker

                store = default_store()
                cases = {case.organization: case for case in store.list()}
                assert set(cases) == {"UNICEF", "IOM"}, "both reports must open a case"
                services = default_services()
                dispatcher = Dispatcher(store, ChannelSender(TelegramSender(standin.token, api_url)), {},
                                        contacts=services.contacts, eraser=services.eraser)
                await dispatcher.run_once()
                notified = {str(m["chat_id"]) for m in standin.sent}
                assert {"500", "600"} <= notified, "UNICEF and IOM responders are notified"

                # 1. nothing identifying anywhere; texts only where retention allows
                for needle in (PHONE, *PHONE_FORMS, str(CHAT_ID)):
                    assert files_containing(var, needle) == [], needle
                    assert tables_containing(urls, needle) == set(), needle
                for marker in (SMS_MARKER, TELEGRAM_MARKER):
                    assert tables_containing(urls, marker) <= TEXT_MAY_BE_IN
                    assert marker not in (var / "log" / "helpline.log").read_text(encoding="utf-8")

                # 2. erasure on Telegram: /delete, confirm with 1
                asked = await text_telegram("/delete")
                assert asked, "the bot asks before deleting"
                done = await text_telegram("1")
                assert done, "the bot says what was deleted"
                assert any(call[0] == "deleteMessages" and str(call[1].get("chat_id")) == str(CHAT_ID) for call in standin.calls)
                pseudonym = services.conversation_id("telegram", str(CHAT_ID))
                for needle in (TELEGRAM_MARKER, pseudonym, str(CHAT_ID)):
                    assert files_containing(var, needle) == [], needle
                    assert tables_containing(urls, needle) == set(), needle
                assert SMS_MARKER in " ".join(tables_containing(urls, SMS_MARKER)) or tables_containing(urls, SMS_MARKER)  # others kept
                statistics = counts(services.engine)
                assert statistics.total_cases == 2 and statistics.erasures["done"] == 1
                assert store.get(cases["IOM"].reference).status == "closed"
    finally:
        logging.getLogger().removeHandler(log_handler)
        log_handler.close()
