"""Twilio SMS (and WhatsApp) channel: POST /webhooks/twilio_sms/webhook.

Order of work for each webhook, so that a forged or repeated request costs
nothing and a crash never makes Twilio re-send a message we handled:
1. check X-Twilio-Signature with twilio's RequestValidator against
   HELPLINE_PUBLIC_URL + path, over every form field including empty ones
   (Sanic drops blank fields, so the raw body is parsed again) -> else 403;
2. record MessageSid in our shared database -> a retry gets an empty <Response/>;
3. turn the phone number into a pseudonym, keep the number only encrypted;
4. leave STOP/START (opt-out / opt-in) to Twilio; HELP is read as plain text;
5. if a responder holds the conversation, forward the message to them;
6. otherwise ask the bot; answer in TwiML when ready in time, else queue the
   answer for the dispatcher (sent with the REST client, retried until
   delivered).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text
from urllib.parse import parse_qsl

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot import logsafety, sms
from bot.country import from_phone_number
from bot.inbound import Arrival
from bot.ratelimit import Verdict
from bot.transient import is_transient
from channels.handoff import safe_answer, to_responder
from channels.ordering import arrival_stamp
from channels.services import ChannelServices, default_services
from channels.turn import Turn, answers_if_processed, message_id, refused_answer

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/twilio_sms/webhook"
# Twilio waits 15 s; answer in TwiML if the bot is done within this, else send later.
REPLY_IN_RESPONSE_SECONDS = 10.0
# A recorded SMS not handled after this long lost its server; the sweep (every SWEEP_SECONDS) answers it.
UNHANDLED_AFTER_SECONDS = 60.0
SWEEP_SECONDS = 15.0
# Opt-out and opt-in keywords: Twilio and the carriers answer them and block
# our replies after an opt-out, so the bot stays out. HELP is answered by
# Twilio too, but a person writing "help" may be in danger: the bot also
# reads it, as plain text (never as a command).
CARRIER_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "start", "unstop"})


def twiml(bodies: list[str]) -> HTTPResponse:
    reply = MessagingResponse()
    for body in bodies:
        reply.message(body)
    return response.text(str(reply), content_type="application/xml")


def _mark_handled(services: ChannelServices, channel: str, external_id: str, failed: bool = False) -> None:
    try:
        services.inbound.handled(channel, external_id, failed=failed)
    except Exception:
        logger.exception("Could not mark an inbound message handled")


class FormFields(dict):
    """POST fields: the first value of each as a dict, every value through `getall`, which twilio's
    RequestValidator uses when present (a plain dict with a list value crashes it on repeated fields)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._all: dict[str, list[str]] = {}
        for key, value in pairs:
            self._all.setdefault(key, []).append(value)
        super().__init__({key: values[0] for key, values in self._all.items()})

    def getall(self, key: str) -> list[str]:
        return list(self._all[key])


def _unpack_kept(services: ChannelServices, token: bytes, conversation: str) -> Optional[tuple[str, str]]:
    """(number, text) of an SMS kept until handled; records written before the number was kept with
    the text hold the text only, and the number comes from the contact store."""
    plain = services.contacts.fernet.decrypt(token)
    try:
        kept = json.loads(plain)
        return str(kept["From"]), str(kept["Body"])
    except (ValueError, TypeError, KeyError):
        contact = services.contacts.address(conversation)
        return (contact[1], plain.decode("utf-8", errors="replace")) if contact else None


def form_fields(raw: bytes) -> FormFields:
    """All POST fields, blank ones included (Twilio signs them too), repeated ones kept."""
    return FormFields(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))


class TwilioSmsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "twilio_sms"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(
            account_sid=str(credentials.get("account_sid") or ""),
            auth_token=str(credentials.get("auth_token") or ""),
            from_number=str(credentials.get("from_number") or ""),
            public_url=str(credentials.get("public_url") or ""),
        )

    def __init__(self, account_sid: str, auth_token: str, from_number: str, public_url: str,
                 services: Optional[Callable[[], ChannelServices]] = None) -> None:
        """account_sid and from_number are the dispatcher's (it sends late answers); kept in the signature
        so credentials.yml stays one block per channel."""
        if not auth_token or not public_url:
            raise ValueError("The Twilio channel needs TWILIO_AUTH_TOKEN and HELPLINE_PUBLIC_URL.")
        self.validator = RequestValidator(auth_token)
        self.url = public_url.rstrip("/") + WEBHOOK_PATH
        self._services = services or default_services
        self._background: set[asyncio.Task] = set()

    async def _queue(self, services: ChannelServices, conversation: str, bodies: list[str]) -> None:
        """Answers that missed the webhook's response go through the outbox: a dispatcher sends them, retrying
        until delivered, even if this server stops."""
        try:
            await asyncio.to_thread(services.handoff.queue_answers, conversation, self.name(), bodies)
        except Exception:
            logger.exception("Could not queue %s late SMS answer(s)", len(bodies))
            raise

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("helpline_twilio_sms", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.listener("after_server_start")
        async def start_sweeper(app: Any, _loop: Any) -> None:
            task = asyncio.ensure_future(self._sweep_forever(on_new_message, app))
            self._background.add(task)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request.body or b"", request.headers.get("X-Twilio-Signature", ""), on_new_message, request.app,
                                     arrival_stamp(request.headers))

        return webhook

    async def handle(self, raw_body: bytes, signature: str, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     app: Any = None, arrived_at: Optional[float] = None) -> HTTPResponse:
        """The whole webhook, from raw body and signature to the HTTP answer."""
        fields = form_fields(raw_body)
        if not signature or not self.validator.validate(self.url, fields, signature):
            return response.text("forbidden", status=403)
        sender = str(fields.get("From") or "").strip()
        message_sid = str(fields.get("MessageSid") or fields.get("SmsSid") or "").strip()
        if not sender or not message_sid:
            return twiml([])
        logsafety.hide(str(fields.get("Body") or ""), sender)
        services = self._services()
        conversation = services.conversation_id(self.name(), sender)
        logsafety.hide(conversation)  # after an erasure, not even the pseudonym may remain in a log
        # the conversation's turn is taken now, before any other work, so its messages keep their order
        work = asyncio.ensure_future(self._in_turn(services, conversation, fields, sender, message_sid, on_new_message, app,
                                                   arrived_at=arrived_at))
        done, _ = await asyncio.wait({work}, timeout=REPLY_IN_RESPONSE_SECONDS)
        if done:
            return twiml(work.result())
        task = asyncio.ensure_future(self._send_later(work, services, conversation))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return twiml([])

    async def _in_turn(self, services: ChannelServices, conversation: str, fields: dict[str, Any], sender: str,
                       message_sid: str, on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Any,
                       replay: bool = False, arrived_at: Optional[float] = None) -> list[str]:
        """Everything after the signature, in the conversation's turn; returns the SMS bodies to answer with.
        `replay`: handled again by the sweep, which keeps the message if the database is still down."""
        async with services.order.turn(conversation, arrived_at):
            new_conversation = False
            try:
                # kept encrypted until handled, with the number to answer: the sweep needs nothing else
                kept = services.contacts.fernet.encrypt(json.dumps({"From": sender, "Body": str(fields.get("Body") or "")}).encode())
                arrival = await asyncio.to_thread(services.inbound.arrival, self.name(), message_sid, conversation, kept)
                if arrival is Arrival.DONE:
                    return []  # a retry: answered already
                if arrival is Arrival.UNFINISHED:
                    answers = await answers_if_processed(app, conversation, message_id(self.name(), message_sid))
                    if answers is not None:
                        logger.warning("An SMS processed by a server that stopped before finishing: answered again, not processed again")
                        await asyncio.to_thread(_mark_handled, services, self.name(), message_sid)
                        return sms.compose(answers)
                new_conversation = await asyncio.to_thread(services.contacts.remember, conversation, self.name(), sender)
            except Exception as error:
                if not is_transient(error):
                    logger.exception("Could not record an inbound SMS; answering without de-duplication")
                elif replay:
                    raise
                else:  # Twilio will not send it again: keep it on this machine's disk until the database is back
                    await asyncio.to_thread(self._spool, services, fields)
                    logger.warning("The database is unreachable: an SMS is kept on disk and answered when it is back")
                    return [safe_answer(str(fields.get("Body") or ""), self.name())]
            outcome: set[str] = set()
            try:
                return await self._answer(services, conversation, fields, sender, message_sid, new_conversation, on_new_message, app, outcome)
            except asyncio.CancelledError:  # stopped half-way (the server is stopping): the sweep handles it
                outcome.add("retry")
                raise
            finally:  # not reached if this process dies: a retry, or the sweeper, handles the message then
                if "retry" not in outcome:  # else left unhandled, its text kept encrypted: the sweep handles it again
                    await asyncio.to_thread(_mark_handled, services, self.name(), message_sid, "failed" in outcome)

    def _spool(self, services: ChannelServices, fields: dict[str, Any]) -> None:
        token = services.contacts.fernet.encrypt(json.dumps(dict(fields)).encode()).decode()
        services.inbound_spool.save({"channel": self.name(), "fields": token})

    async def _answer(self, services: ChannelServices, conversation: str, fields: dict[str, Any], sender: str, message_sid: str,
                      new_conversation: bool, on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Any,
                      outcome: set[str]) -> list[str]:
        turn = Turn.start(services, self.name(), conversation, fields.get("Body") or "")
        turn.new_conversation = new_conversation
        if turn.text.strip().lower() in CARRIER_KEYWORDS:
            return []  # Twilio answers opt-out / opt-in / help itself
        verdict = await turn.rate_verdict()
        if verdict is not Verdict.ALLOW:
            answer = await refused_answer(turn, app, verdict)
            return [answer] if answer else []
        await asyncio.to_thread(self._release_held_replies, services, conversation)
        if await to_responder(lambda: services.handoff, conversation, turn.text):
            return []
        media = str(fields.get("NumMedia") or "0")
        metadata = {"phone_region": from_phone_number(sender), "media": int(media) if media.isdigit() else 0}
        collector = CollectingOutputChannel()
        def keep() -> None:
            outcome.add("failed")
            services.keep_failed(self.name(), message_sid, turn.text)

        await self._handle(on_new_message, turn, collector, metadata, app, keep, message_id(self.name(), message_sid), outcome)
        return sms.compose([m.get("text", "") for m in collector.messages])

    async def _sweep_forever(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Any) -> None:
        """Answer messages whose server died after Twilio got its (empty) answer: nobody would retry them."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                await self.sweep_once(on_new_message, app)
            except Exception:
                logger.exception("The unhandled-SMS sweep failed; trying again later")

    async def sweep_once(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Any = None) -> int:
        """Handle SMS kept on disk during a database outage, then those recorded but never handled."""
        services = self._services()
        replayed = await self._replay_spooled(services, on_new_message, app)
        return replayed + await self._sweep_unhandled(services, on_new_message, app)

    async def _replay_spooled(self, services: ChannelServices, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                              app: Any) -> int:
        replayed = 0
        for path, entry in await asyncio.to_thread(services.inbound_spool.claim):
            try:
                fields = json.loads(services.contacts.fernet.decrypt(str(entry["fields"]).encode()))
                sender = str(fields.get("From") or "")
                message_sid = str(fields.get("MessageSid") or fields.get("SmsSid") or "")
                conversation = services.conversation_id(self.name(), sender)
                logsafety.hide(str(fields.get("Body") or ""), sender, conversation)
                answers = await self._in_turn(services, conversation, fields, sender, message_sid, on_new_message, app, replay=True)
                await self._queue(services, conversation, answers)
            except Exception as error:
                if is_transient(error):
                    await asyncio.to_thread(services.inbound_spool.release, path)
                    logger.warning("The database is still unreachable: kept SMS wait for the next sweep")
                    break
                logger.exception("A kept SMS could not be handled; it is set aside for a person")
                await asyncio.to_thread(services.inbound_spool.set_aside, path)
                continue
            await asyncio.to_thread(services.inbound_spool.done, path)
            replayed += 1
        return replayed

    async def _sweep_unhandled(self, services: ChannelServices, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                               app: Any) -> int:
        claimed = await asyncio.to_thread(services.inbound.claim_stale, self.name(), dt.timedelta(seconds=UNHANDLED_AFTER_SECONDS))
        for message_sid, conversation, token in claimed:
            try:
                kept = _unpack_kept(services, token, conversation)
                if kept is None:  # a text-only record of an earlier version whose contact is gone
                    await asyncio.to_thread(_mark_handled, services, self.name(), message_sid, True)
                    continue
                sender, text = kept
                fields = {"From": sender, "Body": text, "MessageSid": message_sid, "NumMedia": "0"}
                logsafety.hide(text, sender, conversation)
                logger.warning("Handling an SMS its server never finished (the server stopped?)")
                await self._queue(services, conversation, await self._in_turn(services, conversation, fields, sender, message_sid,
                                                                              on_new_message, app, replay=True))
            except Exception:  # this one comes back after its claim; the others go on
                logger.exception("Could not handle an unfinished SMS now; trying again later")
        return len(claimed)

    @staticmethod
    def _release_held_replies(services: ChannelServices, conversation: str) -> None:
        """The person wrote: replies held back by the no-first-SMS window may go out now."""
        try:
            services.handoff.release_held(conversation)
        except Exception:
            logger.exception("Could not release held replies")

    async def _handle(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], turn: Turn,
                      collector: CollectingOutputChannel, metadata: dict[str, Any], app: Any,
                      keep: Callable[[], None], user_message_id: str, outcome: set[str]) -> None:
        try:
            await on_new_message(UserMessage(turn.text, collector, turn.conversation, input_channel=self.name(),
                                             message_id=user_message_id, metadata=metadata))
        except Exception as error:
            if is_transient(error):  # the tracker store or the database is down: handled again by the sweep
                logger.warning("The bot could not reach its stores for an SMS; it is handled again later", exc_info=True)
                outcome.add("retry")
                collector.messages.clear()
            else:
                logger.exception("The bot failed on an SMS; the message is kept and the person gets a safe answer")
                try:
                    await asyncio.to_thread(keep)
                except Exception:
                    logger.exception("Could not keep the failed SMS")
        if not collector.messages:
            collector.messages.append({"recipient_id": turn.conversation, "text": safe_answer(turn.text, self.name())})
        for notice in await turn.finish(app):
            collector.messages.append({"recipient_id": turn.conversation, "text": notice})

    async def _send_later(self, work: "asyncio.Future[list[str]]", services: ChannelServices, conversation: str) -> None:
        try:
            await self._queue(services, conversation, await work)
        except Exception:
            logger.exception("A late SMS answer was lost (the bot or the database failed)")
