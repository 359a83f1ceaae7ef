"""Abuse and bad input on the three entry points: rate limit, oversized and malformed messages, never a 5xx."""

from __future__ import annotations

import itertools
import json

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot.content.catalog import default_catalog
from channels.rest import RestInput
from channels.telegram import TelegramInput
from channels.twilio_sms import TwilioSmsInput
from tests.channels.serving import channel_services, served
from tests.channels.test_twilio_sms import AUTH_TOKEN, PUBLIC_URL, WEBHOOK_PATH, signed, sms_fields
from bot.bench.telegram_standin import BotApiStandIn

TOKEN = "test-token-0123456789abcdef"
SECRET = "webhook-secret-0123456789"
_names = itertools.count()


def text_of(response: str, code: str = "en", channel: str = "rest") -> str:
    return default_catalog().render(response, code, channel).text


@pytest.fixture
def seen():
    return []


@pytest.fixture
def echo(seen):
    async def bot(message: UserMessage) -> None:
        seen.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "answer")
    return bot


@pytest.fixture
async def rest(tmp_path, echo):
    services = channel_services(tmp_path, HELPLINE_RATE_LIMIT_PER_MINUTE="3")
    app = Sanic(f"rest_safety_{next(_names)}")
    app.blueprint(RestInput(TOKEN, services=lambda: services).blueprint(echo), url_prefix="/webhooks/rest")
    async with served(app) as client:
        async def say(message, sender="person-1"):
            return await client.post(f"/webhooks/rest/webhook?token={TOKEN}", json={"sender": sender, "message": message})
        yield say, client


@pytest.fixture
async def sms(tmp_path, echo):
    services = channel_services(tmp_path, HELPLINE_RATE_LIMIT_PER_MINUTE="3")
    channel = TwilioSmsInput("AC123", AUTH_TOKEN, "+15005550006", PUBLIC_URL, services=lambda: services)
    app = Sanic(f"sms_safety_{next(_names)}")
    app.blueprint(channel.blueprint(echo), url_prefix="/webhooks/twilio_sms")
    sids = itertools.count()
    async with served(app) as client:
        async def say(body):
            payload, headers = signed(sms_fields(body=body, sid=f"SM{next(sids):06d}"))
            return await client.post(WEBHOOK_PATH, content=payload, headers=headers)
        yield say, client


@pytest.fixture
async def telegram(tmp_path, echo):
    services = channel_services(tmp_path, HELPLINE_RATE_LIMIT_PER_MINUTE="3")
    standin = BotApiStandIn()
    async with served(standin.app) as api:
        channel = TelegramInput(standin.token, SECRET, f"{api.base_url}/bot", services=lambda: services)
        app = Sanic(f"telegram_safety_{next(_names)}")
        app.blueprint(channel.blueprint(echo), url_prefix="/webhooks/telegram")
        updates = itertools.count(1)
        async with served(app) as client:
            async def say(text, raw=None):
                update_id = next(updates)
                body = raw if raw is not None else json.dumps({"update_id": update_id, "message": {
                    "message_id": update_id, "date": 0, "chat": {"id": 987654321, "type": "private"}, "text": text}})
                return await client.post("/webhooks/telegram/webhook", content=body,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"})
            yield say, standin


async def test_rest_rate_limit_answers_once_then_stays_quiet(rest, seen):
    say, _ = rest
    answers = [(await say(f"message {i}")).json() for i in range(6)]
    assert seen == [f"message {i}" for i in range(3)]  # the bot saw only the first three
    assert [m["text"] for m in answers[3]] == [text_of("utter_rate_limited")]
    assert answers[4] == [] and answers[5] == []
    assert (await say("another person", sender="person-2")).json()[0]["text"] == "answer"  # per conversation


async def test_sms_rate_limit_answers_once_in_twiml(sms, seen):
    say, _ = sms
    replies = [(await say(f"message {i}")) for i in range(5)]
    assert all(r.status_code == 200 for r in replies)
    assert len(seen) == 3
    assert text_of("utter_rate_limited", channel="twilio_sms").split(":")[0] in replies[3].text
    assert "<Message>" not in replies[4].text


async def test_telegram_rate_limit_answers_once(telegram, seen):
    say, standin = telegram
    for i in range(5):
        assert (await say(f"message {i}")).status_code == 200
    texts = [m["text"] for m in standin.sent]
    assert len(seen) == 3 and texts.count(text_of("utter_rate_limited", channel="telegram")) == 1


async def test_oversized_messages_are_cut_and_the_person_is_told(rest, sms, telegram, seen):
    long_text = "help " * 3000  # 15,000 characters
    rest_say, _ = rest
    answer = (await rest_say(long_text)).json()
    assert len(seen[-1]) <= 2000 and [m["text"] for m in answer][-1] == text_of("utter_message_truncated")
    sms_say, _ = sms
    assert "<Message>" in (await sms_say(long_text)).text and len(seen[-1]) <= 2000
    telegram_say, standin = telegram
    await telegram_say(long_text)
    assert len(seen[-1]) <= 2000 and text_of("utter_message_truncated", channel="telegram") in [m["text"] for m in standin.sent]


@pytest.mark.parametrize("text", ["", "\x00\x01\x02", "\u200b\u202e\ufeff", "😀" * 50, "a\udcff b", "/restart", "\\x" * 500])
async def test_malformed_text_never_breaks_any_entry_point(rest, sms, telegram, text):
    rest_say, _ = rest
    sms_say, _ = sms
    telegram_say, _ = telegram
    safe = text.encode("utf-8", errors="surrogatepass").decode("utf-8", errors="replace")
    assert (await rest_say(safe)).status_code == 200
    assert (await sms_say(safe)).status_code == 200
    assert (await telegram_say(safe)).status_code == 200


async def test_invalid_utf8_and_broken_json_are_refused_cleanly(rest, telegram):
    _, client = rest
    response = await client.post(f"/webhooks/rest/webhook?token={TOKEN}", content=b'{"sender": "a", "message": "\xff\xfe"}',
                                 headers={"Content-Type": "application/json"})
    assert response.status_code in (200, 400)
    say, _ = telegram
    assert (await say("", raw=b"\xff\xfe{not json")).status_code == 200


async def test_the_clear_chat_advice_is_given_once_per_conversation(telegram):
    say, standin = telegram
    await say("hello")
    await say("hello again")
    tip = text_of("utter_clear_chat_tip", channel="telegram")
    assert [m["text"] for m in standin.sent].count(tip) == 1
