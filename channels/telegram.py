"""Telegram channel with python-telegram-bot: POST /webhooks/telegram/webhook.

For each update: the secret header is checked (403 otherwise), the update_id
is recorded (a re-sent update is answered 200 and ignored; while a store is
down the update is refused with 503, so Telegram sends it again), a responder's chat
goes to the responder commands, the chat id becomes a pseudonym (the id itself
is kept only encrypted), and text, commands and button presses go to the bot.
Photos, voice, stickers and locations get the bot's polite fallback; edited
messages and group or channel posts are ignored. Replies are sent with
python-telegram-bot's Bot (TELEGRAM_API_URL as base_url), buttons as inline
keyboards, long texts split at 4,096 characters, 429 and network errors retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import logsafety
from bot.inbound import Arrival
from bot.ratelimit import Verdict
from bot.transient import is_transient
from channels.handoff import safe_answer, to_responder
from channels.ordering import arrival_stamp
from channels.services import ChannelServices, default_services
from channels.turn import Turn, answers_if_processed, message_id, refused_answer

logger = logging.getLogger(__name__)

TELEGRAM_MAX_CHARS = 4096
SEND_ATTEMPTS = 4
# Our commands, turned into what a person would write; anything else after "/" is plain text.
COMMANDS = {"/start": "hello", "/language": "language", "/help": "help", "/delete": "delete my data"}


def split_text(text: str, limit: int = TELEGRAM_MAX_CHARS) -> List[str]:
    parts = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        cut = cut if cut > limit // 2 else text.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return parts + ([text] if text else [])


class TelegramOutput(OutputChannel):
    """Sends the bot's messages to one chat; the chat id never leaves this object."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, bot: Any, chat_id: int, on_sent: Optional[Callable[[int], None]] = None) -> None:
        self.bot = bot
        self.chat_id = chat_id
        self.on_sent = on_sent  # keeps the message id, so an erasure can delete the message later

    async def _send(self, text: str, reply_markup: Any = None) -> None:
        from telegram.error import NetworkError, RetryAfter, TimedOut

        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                sent = await self.bot.send_message(chat_id=self.chat_id, text=text, reply_markup=reply_markup)
                if self.on_sent is not None and getattr(sent, "message_id", None) is not None:
                    try:
                        await asyncio.to_thread(self.on_sent, sent.message_id)
                    except Exception:
                        logger.exception("Could not record a sent Telegram message id")
                return
            except RetryAfter as exc:
                wait = exc.retry_after.total_seconds() if isinstance(exc.retry_after, dt.timedelta) else float(exc.retry_after)
                await asyncio.sleep(min(wait, 30))
            except (TimedOut, NetworkError):
                if attempt == SEND_ATTEMPTS:
                    raise
                await asyncio.sleep(0.5 * 2 ** attempt)
        raise RuntimeError("Telegram kept rate-limiting this chat")

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in split_text(text):
            await self._send(part)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        from telegram import InlineKeyboardButton, InlineKeyboardMarkup

        rows = [[InlineKeyboardButton(str(b.get("title", ""))[:64], callback_data=str(b.get("payload", ""))[:64])] for b in buttons]
        parts = split_text(text)
        for part in parts[:-1]:
            await self._send(part)
        await self._send(parts[-1] if parts else "…", reply_markup=InlineKeyboardMarkup(rows))


class TelegramInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        return cls(str(credentials.get("access_token") or ""), str(credentials.get("webhook_secret") or ""),
                   str(credentials.get("api_url") or "") or "https://api.telegram.org/bot")

    def __init__(self, token: str, webhook_secret: str, api_url: str = "https://api.telegram.org/bot",
                 services: Optional[Callable[[], ChannelServices]] = None) -> None:
        if not token or not webhook_secret:
            raise ValueError("The Telegram channel needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET.")
        from telegram import Bot

        self.secret = webhook_secret
        self.bot = Bot(token=token, base_url=api_url)
        self._services = services or default_services
        self._ready = False

    async def _bot(self) -> Any:
        if not self._ready:
            await self.bot.initialize()
            self._ready = True
        return self.bot

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("helpline_telegram", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not given or not hmac.compare_digest(given.encode(), self.secret.encode()):
                return response.text("forbidden", status=403)
            try:
                payload = request.json
            except Exception:
                payload = None
            if isinstance(payload, dict):
                # shielded: if the caller gives up (nginx's timeout, Telegram's), the update is still handled to the end
                work = asyncio.ensure_future(self.handle(payload, on_new_message, request.app, arrival_stamp(request.headers)))
                try:
                    await asyncio.shield(work)
                except Exception as error:
                    if is_transient(error):  # a store is down: not handled, so Telegram's retry of it will be
                        logger.warning("A Telegram update could not be handled now; Telegram sends it again", exc_info=True)
                        return response.json({"ok": False}, status=503)
                    logger.exception("A Telegram update failed; answered 200 so it is not re-sent")
            return response.json({"ok": True})

        return webhook

    async def handle(self, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Any = None,
                     arrived_at: Optional[float] = None) -> None:
        from telegram import Update

        # no await before the conversation's turn is taken: a message must not overtake the one before it here
        update = Update.de_json(payload, self.bot)
        if update is None or update.update_id is None:
            return
        message = update.message
        query = update.callback_query
        if query is not None:
            chat = query.message.chat if query.message else None
            text = str(query.data or "")
        elif message is not None:
            chat = message.chat
            text = message.text or message.caption or ""
        else:
            return  # edited messages, channel posts, member updates: nothing to answer
        if chat is None or chat.type != "private":
            return
        logsafety.hide(text, str(chat.id))
        services = self._services()
        conversation = services.conversation_id(self.name(), str(chat.id))
        logsafety.hide(conversation)  # after an erasure, not even the pseudonym may remain in a log
        async with services.order.turn(conversation, arrived_at):  # taken before any other work: the chat's messages keep their order
            bot = await self._bot()
            if query is not None:
                try:
                    await query.answer()
                except Exception:
                    logger.warning("Could not answer a Telegram button press")
            arrival = await asyncio.to_thread(services.inbound.arrival, self.name(), str(update.update_id), conversation)
            if arrival is Arrival.DONE:
                return
            if arrival is Arrival.UNFINISHED and await self._answered_before(services, bot, app, conversation, chat.id, update.update_id):
                return
            retry = False
            try:
                await self._in_turn(services, bot, update, message, query, chat, conversation, text, on_new_message, app,
                                    first_attempt=arrival is Arrival.NEW)
            except asyncio.CancelledError:  # stopped half-way (the server is stopping): not handled
                retry = True
                raise
            except Exception as error:
                retry = is_transient(error)
                raise
            finally:  # not reached if this process dies: Telegram's retry of the update is then handled, not skipped
                if not retry:
                    await asyncio.to_thread(services.inbound.handled, self.name(), str(update.update_id))

    async def _in_turn(self, services: ChannelServices, bot: Any, update: Any, message: Any, query: Any, chat: Any,
                       conversation: str, text: str, on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Any,
                       first_attempt: bool = True) -> None:
        responder_answer = await asyncio.to_thread(self._responder_command, services, str(chat.id), text, message)
        if responder_answer is not None:
            await TelegramOutput(bot, chat.id).send_text_message("", responder_answer)
            return
        new_conversation = await asyncio.to_thread(services.contacts.remember, conversation, self.name(), str(chat.id))
        if message is not None:
            await asyncio.to_thread(services.chat_log.record, conversation, message.message_id)
        command = None
        if query is None and text.startswith("/"):
            command = text.split()[0].split("@", 1)[0].lower()
            text = COMMANDS.get(command, text)
            command = command if command in COMMANDS else None
        turn = Turn.start(services, self.name(), conversation, text)
        turn.new_conversation = new_conversation
        output = TelegramOutput(bot, chat.id, on_sent=lambda message_id: services.chat_log.record(conversation, message_id))
        verdict = await turn.rate_verdict()
        if verdict is not Verdict.ALLOW:
            answer = await refused_answer(turn, app, verdict)
            if answer:
                await output.send_text_message("", answer)
            return
        if await to_responder(lambda: services.handoff, conversation, turn.text):
            return
        try:
            await on_new_message(UserMessage(turn.text, output, conversation, input_channel=self.name(),
                                             message_id=message_id(self.name(), str(update.update_id)),
                                             metadata={"command": command} if command else {}))
        except Exception as error:
            if is_transient(error):  # a store is down: the update is left unhandled and Telegram sends it again
                if first_attempt:
                    try:
                        await output.send_text_message("", safe_answer(turn.text, self.name()))
                    except Exception:
                        logger.exception("Could not send the safe answer")
                raise
            logger.exception("The bot failed on a Telegram message; the message is kept and the person gets a safe answer")
            try:
                await asyncio.to_thread(services.keep_failed, self.name(), str(update.update_id), turn.text)
            except Exception:
                logger.exception("Could not keep the failed Telegram message")
            await output.send_text_message("", safe_answer(turn.text, self.name()))
        await self._delete_chat_if_erasing(services, bot, conversation, chat.id)
        for notice in await turn.finish(app):
            await output.send_text_message("", notice)

    async def _answered_before(self, services: ChannelServices, bot: Any, app: Any, conversation: str, chat_id: int,
                               update_id: int) -> bool:
        """A retried update whose server stopped after Rasa saved the turn: send the answers again, process nothing."""
        try:
            answers = await answers_if_processed(app, conversation, message_id(self.name(), str(update_id)))
        except Exception:
            logger.exception("Could not check whether a retried update was processed; processing it")
            return False
        if answers is None:
            return False
        logger.warning("A Telegram update processed by a server that stopped before finishing: answered again, not processed again")
        output = TelegramOutput(bot, chat_id, on_sent=lambda sent_id: services.chat_log.record(conversation, sent_id))
        try:
            for answer in answers:
                await output.send_text_message("", answer)
        except Exception:
            logger.exception("Could not send the answers to a retried update again")
        await asyncio.to_thread(services.inbound.handled, self.name(), str(update_id))
        return True

    @staticmethod
    async def _delete_chat_if_erasing(services: ChannelServices, bot: Any, conversation: str, chat_id: int) -> None:
        """The person confirmed erasure: delete what Telegram still allows (48 hours) of this chat,
        except the bot's answer to the confirmation, which says what was deleted."""
        try:
            requested_at = await asyncio.to_thread(services.eraser.requested, conversation)
            if requested_at is None:
                return
            ids = await asyncio.to_thread(services.chat_log.deletable, conversation, None, requested_at)
            for start in range(0, len(ids), 100):  # deleteMessages takes at most 100 ids
                await bot.delete_messages(chat_id=chat_id, message_ids=ids[start:start + 100])
        except Exception:
            logger.exception("Could not delete the Telegram chat's messages during an erasure")

    @staticmethod
    def _responder_command(services: ChannelServices, chat_id: str, text: str, message: Any) -> Optional[str]:
        from bot.cases import commands

        replying_to = message.reply_to_message.text if message is not None and message.reply_to_message else None
        return commands.handle(services.handoff, chat_id, text, replying_to=replying_to)
