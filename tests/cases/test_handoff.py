"""Hand-off end to end through the REST channel: report -> case -> notified -> /claim -> the person talks
to the responder -> /reply reaches the person -> /close -> the bot answers again."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.cases import commands
from bot.cases.models import Base
from bot.cases.responders import Responders
from bot.cases.store import CaseStore
from bot.db import make_engine
from bot.handoff import Handoff
from bot.notify.dispatcher import Dispatcher
from bot.notify.messages import notification_text
from channels.rest import RestInput
from tests.channels.serving import channel_services, served

TOKEN = "test-token-0123456789abcdef"
_names = itertools.count()


class Recorder:
    def __init__(self):
        self.sent = []

    async def send(self, channel, address, text):
        self.sent.append((channel, address, text))


@pytest.fixture
def world(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    responders = Responders.from_data({"responders": [
        {"id": "unicef-1", "organization": "UNICEF", "telegram_chat_id": 500},
        {"id": "iom-1", "organization": "IOM", "telegram_chat_id": 600},
    ]})
    store = CaseStore(engine, responders, notification_text)
    return store, Handoff(store)


async def test_full_handoff_through_the_rest_channel(world, tmp_path):
    store, handoff = world
    bot_saw: list[str] = []

    async def bot(message: UserMessage) -> None:
        """Stands in for Rasa: a report opens a child case; anything else gets a bot answer."""
        bot_saw.append(message.text)
        if "report" in message.text:
            opened = store.open_case(message.sender_id, "UNICEF", "high", "child_at_risk", language="fr", channel="rest")
            await message.output_channel.send_text_message(message.sender_id, f"case {opened.case.reference}")
        else:
            await message.output_channel.send_text_message(message.sender_id, "bot answer")

    services = channel_services(tmp_path, store=store)
    app = Sanic(f"handoff_{next(_names)}")
    app.blueprint(RestInput(TOKEN, services=lambda: services).blueprint(bot), url_prefix="/webhooks/rest")
    recorder = Recorder()
    dispatcher = Dispatcher(store, recorder, {}, clock=lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1))

    async with served(app) as client:
        async def say(text):
            response = await client.post(f"/webhooks/rest/webhook?token={TOKEN}", json={"sender": "child-1", "message": text})
            assert response.status_code == 200
            return [m["text"] for m in response.json()]

        reference = (await say("report: i am 12"))[0].split()[-1]
        await dispatcher.run_once()
        assert recorder.sent and recorder.sent[0][1] == "500" and reference in recorder.sent[0][2]

        # an IOM responder may not take a UNICEF case; the UNICEF responder can
        assert commands.handle(handoff, "600", f"/claim {reference}").startswith("Not done")
        assert "is yours" in commands.handle(handoff, "500", f"/claim {reference}")

        assert await say("are you there? he came back") == []  # to the responder, not the bot
        assert bot_saw == ["report: i am 12"]
        await dispatcher.run_once()
        assert "he came back" in recorder.sent[-1][2] and recorder.sent[-1][1] == "500"

        assert commands.handle(handoff, "500", f"/reply {reference} I am here, are you safe?").startswith("Sent")
        replies = await say("yes")
        assert replies[0].endswith("I am here, are you safe?")  # delivered on the person's channel, in French framing
        assert "UNICEF" in replies[0]

        assert "closed" in commands.handle(handoff, "500", f"/close {reference}")
        after = await say("merci")
        assert after[0] != "bot answer" and after[-1] == "bot answer"  # the closing notice, then the bot again
        assert bot_saw[-1] == "merci"

    kinds = [e.kind for e in store.events(reference)]
    assert kinds[:3] == ["created", "notified", "refused"] and "claimed" in kinds and "user_message" in kinds
    assert kinds[-2:] == ["reply", "closed"] or kinds[-1] == "closed"


def test_a_telegram_reply_to_a_notification_is_a_reply_to_its_case(world):
    store, handoff = world
    reference = store.open_case("c-2", "IOM", "normal", "exploitation", channel="rest").case.reference
    commands.handle(handoff, "600", f"/claim {reference}")
    answer = commands.handle(handoff, "600", "We can help you tomorrow", replying_to=f"New normal case {reference} for IOM")
    assert answer.startswith("Sent")
    assert handoff.take_for_rest("c-2")[0].endswith("We can help you tomorrow")


def test_strangers_are_not_answered(world):
    _, handoff = world
    assert commands.handle(handoff, "999", "/claim HL-22222") is None


@pytest.mark.parametrize("text,category", [("i cant do this anymore, i want to die", "self_harm"),
                                           ("he is outside my door right now", "immediate_danger")])
def test_self_harm_or_danger_while_a_responder_holds_the_case_flags_it_urgent(world, text, category):
    """Caught in every state: the person talks to the responder, the bot stays silent, the case still becomes urgent."""
    store, handoff = world
    case = store.open_case("conv-flag", "IOM", "normal", "exploitation", language="en", channel="rest").case
    store.claim(case.reference, "iom-1")
    assert handoff.intercept("conv-flag", text) is True
    flagged = store.get(case.reference)
    assert (flagged.priority, flagged.category) == ("urgent", category)
    to_responder = [m for m in store.pending_outbox() if m.responder_id == "iom-1" and m.kind in ("urgent_flag", "user_message")]
    assert [m.kind for m in to_responder][:2] == ["urgent_flag", "user_message"]  # the flag first
    assert to_responder[0].text.startswith(f"URGENT {case.reference}")
    assert any(e.kind == "urgent_flag" for e in store.events(case.reference))


def test_an_ordinary_message_to_the_responder_changes_nothing(world):
    store, handoff = world
    case = store.open_case("conv-calm", "IOM", "normal", "exploitation", language="en", channel="rest").case
    store.claim(case.reference, "iom-1")
    assert handoff.intercept("conv-calm", "ok thank you, tomorrow at 10 is fine") is True
    assert store.get(case.reference).priority == "normal"
