"""The Twilio channel: signatures checked exactly as Twilio signs, exactly-once, SMS-fitted answers."""

from __future__ import annotations

import asyncio
import itertools
from urllib.parse import urlencode

import pytest
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from bot.cases.models import Base
from bot.inbound import InboundMessage
from bot.privacy.contacts import Contact
from bot.settings import load_settings
from channels.services import ChannelServices
from channels.twilio_sms import WEBHOOK_PATH, TwilioSmsInput
from tests.channels.serving import database_down, served

AUTH_TOKEN = "12345678901234567890123456789012"
PUBLIC_URL = "https://helpline.example.org"
_names = itertools.count()


def signed(fields: dict, url: str = PUBLIC_URL + WEBHOOK_PATH, token: str = AUTH_TOKEN) -> tuple[bytes, dict]:
    body = urlencode(fields).encode()
    signature = RequestValidator(token).compute_signature(url, fields)
    return body, {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def sms_fields(body="hello", sid="SM0001", sender="+9779812345678", **extra):
    fields = {"MessageSid": sid, "AccountSid": "AC123", "From": sender, "To": "+15005550006", "Body": body, "NumMedia": "0",
              "FromCity": "", "FromState": ""}  # blank fields are part of the signature
    fields.update(extra)
    return fields


@pytest.fixture
def world(tmp_path, database_url):
    env = {"HELPLINE_API_TOKEN": "x" * 32, "HELPLINE_PSEUDONYM_KEY": "k" * 32, "HELPLINE_ENCRYPTION_KEY": Fernet.generate_key().decode(),
           "HELPLINE_DATABASE_URL": database_url}
    services = ChannelServices(load_settings(environ=env, root=tmp_path))
    Base.metadata.create_all(services.engine)
    seen: list[UserMessage] = []

    async def bot(message: UserMessage) -> None:
        seen.append(message)
        if message.text == "slow":
            await asyncio.sleep(0.3)
        if message.text == "crash":
            raise RuntimeError("action server down")
        await message.output_channel.send_text_message(message.sender_id, f"answer to {message.text!r}")
        await message.output_channel.send_text_message(message.sender_id, "second message")

    channel = TwilioSmsInput("AC123", AUTH_TOKEN, "+15005550006", PUBLIC_URL, services=lambda: services)
    app = Sanic(f"twilio_{next(_names)}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/twilio_sms")
    return app, services, seen, lambda: delivered_late(services)


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, channel: str, address: str, text: str) -> None:
        self.sent.append((address, text))


async def delivered_late(services: ChannelServices) -> list[tuple[str, str]]:
    """What a dispatcher sends now from the queue of late answers: (phone number, text)."""
    from bot.notify.dispatcher import Dispatcher

    recorder = Recorder()
    await Dispatcher(services.handoff.store, recorder, {}, contacts=services.contacts).run_once()
    return recorder.sent


async def post(client, fields, **kwargs):
    body, headers = signed(fields, **kwargs)
    return await client.post(WEBHOOK_PATH, content=body, headers=headers)


async def test_valid_signature_gets_twiml_with_the_bots_messages_joined(world):
    app, services, seen, _ = world
    async with served(app) as client:
        response = await post(client, sms_fields("hello"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/xml")
    assert response.text.count("<Message>") == 1  # both bot messages in one SMS body
    assert "answer to 'hello'" in response.text and "second message" in response.text
    assert seen[0].sender_id.startswith("twilio_sms-") and "9812345678" not in seen[0].sender_id
    assert seen[0].metadata["phone_region"] == "NP"


async def test_bad_signatures_are_refused_and_nothing_is_processed(world):
    app, services, seen, _ = world
    fields = sms_fields("hello")
    async with served(app) as client:
        assert (await client.post(WEBHOOK_PATH, content=urlencode(fields).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})).status_code == 403
        assert (await post(client, fields, token="wrong-token-wrong-token-wrong-tok")).status_code == 403
        assert (await post(client, fields, url="https://evil.example.org" + WEBHOOK_PATH)).status_code == 403
        body, headers = signed(fields)
        tampered = body.replace(b"hello", b"hellO")
        assert (await client.post(WEBHOOK_PATH, content=tampered, headers=headers)).status_code == 403
    assert seen == []
    with services.inbound.Session() as session:
        assert session.execute(select(InboundMessage)).first() is None


async def test_the_same_message_sid_five_times_concurrently_is_answered_once(world):
    app, services, seen, _ = world
    async with served(app) as client:
        responses = await asyncio.gather(*[post(client, sms_fields("hello", sid="SMdup")) for _ in range(5)])
    assert all(r.status_code == 200 for r in responses)
    assert sum("<Message>" in r.text for r in responses) == 1
    assert len(seen) == 1


async def test_phone_number_is_kept_only_encrypted(world):
    app, services, seen, _ = world
    async with served(app) as client:
        await post(client, sms_fields("hello", sender="whatsapp:+8801712345678"))
    with services.contacts.Session() as session:
        row = session.execute(select(Contact)).scalar_one()
    assert b"8801712345678" not in row.address
    assert services.contacts.address(seen[0].sender_id) == ("twilio_sms", "whatsapp:+8801712345678")
    assert seen[0].metadata["phone_region"] == "BD"


async def test_opt_out_keywords_are_left_to_twilio_and_help_is_read_as_text(world):
    app, _, seen, _ = world
    async with served(app) as client:
        stop = await post(client, sms_fields("STOP", sid="SM1"))
        help_ = await post(client, sms_fields("HELP", sid="SM2"))
    assert "<Message>" not in stop.text
    assert [m.text for m in seen] == ["HELP"]
    assert "<Message>" in help_.text


@pytest.mark.parametrize("body,media", [("", "1"), ("", "0"), ("x" * 10_000, "0"), ("🙏🙏🙏", "0"), ("/restart", "0")])
async def test_odd_messages_get_an_answer_never_a_500(world, body, media):
    app, _, seen, _ = world
    async with served(app) as client:
        response = await post(client, sms_fields(body, NumMedia=media))
    assert response.status_code == 200 and "<Message>" in response.text
    assert len(seen[0].text) <= 2000 and not seen[0].text.startswith("/")


async def test_a_crash_in_the_bot_still_answers_safely_and_keeps_the_message(world):
    app, services, _, _ = world
    async with served(app) as client:
        response = await post(client, sms_fields("crash", sid="SMcrash"))
    assert response.status_code == 200 and "<Message>" in response.text
    assert services.inbound.failed_count() == 1
    with services.inbound.Session() as session:
        row = session.execute(select(InboundMessage).where(InboundMessage.external_id == "SMcrash")).scalar_one()
    assert b"crash" not in row.failed_text and services.contacts.fernet.decrypt(row.failed_text) == b"crash"


async def test_a_slow_answer_is_queued_and_a_dispatcher_sends_it(world, monkeypatch):
    import channels.twilio_sms as module

    monkeypatch.setattr(module, "REPLY_IN_RESPONSE_SECONDS", 0.05)
    app, _, _, late = world
    sent: list[tuple[str, str]] = []
    async with served(app) as client:
        response = await post(client, sms_fields("slow"))
        assert "<Message>" not in response.text
        for _ in range(50):
            sent += await late()
            if sent:
                break
            await asyncio.sleep(0.05)
    assert sent and sent[0][0] == "+9779812345678" and "answer to 'slow'" in sent[0][1]
    assert await late() == []  # sent once


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=4000) | st.text(max_size=12000).map(lambda t: t.encode("utf-8", "surrogatepass")),
       signed_ok=st.booleans())
def test_any_body_never_breaks_the_webhook(world, body, signed_ok):
    """Arbitrary bytes, sizes and encodings, signed or not: never a 5xx, never an exception."""
    _, services, _, _ = world
    channel = TwilioSmsInput("AC123", AUTH_TOKEN, "+15005550006", PUBLIC_URL, services=lambda: services)

    async def bot(message):
        await message.output_channel.send_text_message(message.sender_id, "ok")

    fields = sms_fields(body.decode("utf-8", "replace"), sid=f"SM{abs(hash(body))}")
    raw, headers = signed(fields)
    raw = raw if signed_ok else body
    result = asyncio.run(channel.handle(raw, headers["X-Twilio-Signature"], bot))
    assert result.status in (200, 403)


async def test_an_sms_whose_server_died_after_answering_twilio_is_answered_by_the_sweep(world):
    import datetime as dt

    from sqlalchemy import update

    from bot.inbound import InboundMessage

    app, services, seen, late = world
    sender = "+9779812345678"
    conversation = services.conversation_id("twilio_sms", sender)
    services.contacts.remember(conversation, "twilio_sms", sender)
    kept = services.contacts.fernet.encrypt(b'{"From": "+9779812345678", "Body": "my boss took my passport"}')
    assert services.inbound.first_time("twilio_sms", "SMdied", conversation, kept)  # then that server died
    channel = TwilioSmsInput("AC123", AUTH_TOKEN, "+15005550006", PUBLIC_URL, services=lambda: services)

    async def bot(message):
        seen.append(message)
        await message.output_channel.send_text_message(message.sender_id, "answer after all")

    assert await channel.sweep_once(bot) == 0  # too recent: its server may still be working on it
    with services.inbound.Session() as session:
        session.execute(update(InboundMessage).values(received_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))
        session.commit()
    assert await channel.sweep_once(bot) == 1
    assert [m.text for m in seen] == ["my boss took my passport"]
    assert await late() == [(sender, "answer after all")]
    assert await channel.sweep_once(bot) == 0  # handled: never twice
    assert services.inbound.failed_count() == 0



async def test_a_retry_of_an_sms_whose_server_stopped_after_the_bot_saved_it_is_answered_not_processed_again(world):
    """The server died between Rasa saving the turn and marking the webhook handled: processing the retry
    again would escalate twice; the person gets the saved answers instead."""
    from types import SimpleNamespace

    from rasa.core.tracker_store import InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import BotUttered, UserUttered

    app, services, seen, _ = world
    sender = "+9779812345678"
    conversation = services.conversation_id("twilio_sms", sender)
    store = InMemoryTrackerStore(Domain.empty())
    tracker = await store.get_or_create_tracker(conversation)
    tracker.update(UserUttered("they took my passport", message_id="twilio_sms:SMearlier"))
    tracker.update(BotUttered("earlier answer"))
    tracker.update(UserUttered("I am 14", message_id="twilio_sms:SMsaved"))
    tracker.update(BotUttered("a person from UNICEF will contact you"))
    tracker.update(BotUttered("you are not alone"))
    await store.save(tracker)
    app.ctx.agent = SimpleNamespace(tracker_store=store)
    kept = services.contacts.fernet.encrypt(b"I am 14")
    assert services.inbound.first_time("twilio_sms", "SMsaved", conversation, kept)  # recorded, then the server died
    async with served(app) as client:
        retry = await post(client, sms_fields("I am 14", sid="SMsaved", sender=sender))
        again = await post(client, sms_fields("I am 14", sid="SMsaved", sender=sender))
        other = await post(client, sms_fields("new words", sid="SMnew", sender=sender))
    assert seen and [m.text for m in seen] == ["new words"]  # the saved message was not processed again
    assert "a person from UNICEF will contact you" in retry.text and "you are not alone" in retry.text
    assert "earlier answer" not in retry.text
    assert "<Message>" not in again.text  # handled now: a further retry is only acknowledged
    assert "answer to 'new words'" in other.text
    assert seen[0].message_id == "twilio_sms:SMnew"  # the id the next retry would be checked against


async def test_repeated_fields_are_signed_and_checked_like_twilio_does(world):
    """Twilio signs every value of a repeated field (MediaUrl-like fields, odd clients): neither 500 nor a bypass."""
    app, _, seen, _ = world
    pairs = list(sms_fields("hello", sid="SMrep").items()) + [("Extra", "b"), ("Extra", "a")]
    body = urlencode(pairs).encode()
    url = PUBLIC_URL + WEBHOOK_PATH
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, _multi(pairs))
    async with served(app) as client:
        good = await client.post(WEBHOOK_PATH, content=body, headers={"X-Twilio-Signature": signature,
                                                                      "Content-Type": "application/x-www-form-urlencoded"})
        forged = await client.post(WEBHOOK_PATH, content=body + b"&Extra=c", headers={"X-Twilio-Signature": signature,
                                                                                      "Content-Type": "application/x-www-form-urlencoded"})
    assert good.status_code == 200 and "<Message>" in good.text
    assert forged.status_code == 403 and len(seen) == 1


def _multi(pairs):
    from channels.twilio_sms import FormFields

    return FormFields(pairs)


async def test_an_sms_arriving_while_the_database_is_down_is_kept_on_disk_and_answered_when_it_is_back(world, monkeypatch):
    """Twilio never re-sends an SMS: while its arrival cannot be recorded, this machine's disk keeps it."""
    app, services, seen, late = world
    recorded = services.inbound.arrival
    monkeypatch.setattr(services.inbound, "arrival", database_down)
    async with served(app) as client:
        during = await post(client, sms_fields("they took my passport", sid="SMdown"))
    assert during.status_code == 200 and "<Message>" in during.text  # a safe answer now
    assert seen == [] and services.inbound_spool.pending() == 1
    assert "passport" not in "".join(p.read_text() for p in services.inbound_spool.directory.glob("*.json"))  # encrypted

    channel = TwilioSmsInput("AC123", AUTH_TOKEN, "+15005550006", PUBLIC_URL, services=lambda: services)

    async def bot(message):
        seen.append(message)
        await message.output_channel.send_text_message(message.sender_id, "the real answer")

    assert await channel.sweep_once(bot) == 0 and services.inbound_spool.pending() == 1  # still down: kept
    monkeypatch.setattr(services.inbound, "arrival", recorded)  # the database is back
    assert await channel.sweep_once(bot) == 1
    assert [m.text for m in seen] == ["they took my passport"] and seen[0].message_id == "twilio_sms:SMdown"
    sent = await late()
    assert len(sent) == 1 and sent[0][0] == "+9779812345678" and sent[0][1].startswith("the real answer")
    assert services.inbound_spool.pending() == 0 and await channel.sweep_once(bot) == 0


async def test_an_sms_the_bot_could_not_process_because_a_store_was_down_is_processed_again(world):
    import datetime as dt

    from sqlalchemy import update

    from bot.inbound import InboundMessage

    app, services, seen, late = world
    attempts = []

    async def bot(message):
        attempts.append(message.text)
        if len(attempts) == 1:
            database_down()  # the tracker store restarts during this turn
        await message.output_channel.send_text_message(message.sender_id, "answer at last")

    channel = TwilioSmsInput("AC123", AUTH_TOKEN, "+15005550006", PUBLIC_URL, services=lambda: services)
    app2 = Sanic(f"twilio_{next(_names)}")
    app2.blueprint(channel.blueprint(bot), url_prefix="/webhooks/twilio_sms")
    async with served(app2) as client:
        first = await post(client, sms_fields("I am 13 and I cannot leave", sid="SMflaky"))
    assert "<Message>" in first.text and "answer at last" not in first.text  # a safe answer
    assert services.inbound.failed_count() == 0  # not given up on: waiting to be handled again
    with services.inbound.Session() as session:
        session.execute(update(InboundMessage).values(received_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))
        session.commit()
    assert await channel.sweep_once(bot) == 1
    assert attempts == ["I am 13 and I cannot leave"] * 2
    assert await late() == [("+9779812345678", "answer at last")]
    assert await channel.sweep_once(bot) == 0
