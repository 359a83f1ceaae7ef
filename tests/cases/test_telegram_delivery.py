"""Notifications reach a responder's Telegram chat through python-telegram-bot and a stand-in Bot API."""

from __future__ import annotations

import datetime as dt

from bot.cases.models import Base
from bot.cases.responders import Responders
from bot.cases.store import CaseStore
from bot.db import make_engine
from bot.notify.dispatcher import Dispatcher
from bot.notify.messages import notification_text
from bot.notify.senders import ChannelSender, TelegramSender
from tests.channels.serving import served
from bot.bench.telegram_standin import BotApiStandIn


async def test_child_case_notification_is_delivered_once_after_an_outage(tmp_path):
    standin = BotApiStandIn()
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    Base.metadata.create_all(engine)
    responders = Responders.from_data({"responders": [{"id": "unicef-1", "organization": "UNICEF", "telegram_chat_id": 4242}]})
    store = CaseStore(engine, responders, notification_text)
    async with served(standin.app) as client:
        base_url = f"{client.base_url}/bot"
        sender = ChannelSender(telegram=TelegramSender(standin.token, base_url=base_url))
        now = [dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)]
        dispatcher = Dispatcher(store, sender, {}, clock=lambda: now[0])
        standin.up = False
        reference = store.open_case("conv-tg", "UNICEF", "high", "child_at_risk", language="uk", country="UA").case.reference
        assert await dispatcher.run_once() == 0
        assert standin.sent == []
        standin.up = True
        now[0] += dt.timedelta(seconds=10)
        assert await dispatcher.run_once() == 1
        now[0] += dt.timedelta(minutes=5)
        assert await dispatcher.run_once() == 0
    assert len(standin.sent) == 1
    assert str(standin.sent[0]["chat_id"]) == "4242"
    assert reference in standin.sent[0]["text"] and "UNICEF" in standin.sent[0]["text"]
    assert store.get(reference).status == "notified"
