"""Deliver one text to one responder address: Telegram (python-telegram-bot) or SMS (twilio)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Optional, Protocol


class DeliveryError(Exception):
    """Delivery failed; `retry_after` (seconds) when the platform said when to try again."""

    def __init__(self, message: str, retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Sender(Protocol):
    async def send(self, channel: str, address: str, text: str) -> None: ...


class TelegramSender:
    """python-telegram-bot's Bot; `base_url` is TELEGRAM_API_URL (token appended by the library)."""

    def __init__(self, token: str, base_url: str = "https://api.telegram.org/bot") -> None:
        from telegram import Bot

        self.bot = Bot(token=token, base_url=base_url)
        self._ready = False

    async def send_text(self, chat_id: str, text: str) -> None:
        from telegram.error import RetryAfter, TelegramError

        try:
            if not self._ready:
                await self.bot.initialize()
                self._ready = True
            await self.bot.send_message(chat_id=chat_id, text=text[:4096])
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if isinstance(exc.retry_after, dt.timedelta) else float(exc.retry_after)
            raise DeliveryError(f"telegram rate limit: retry after {wait}s", retry_after=wait) from exc
        except TelegramError as exc:
            self._ready = False if "initialize" in str(exc).lower() else self._ready
            raise DeliveryError(f"telegram: {type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # network stack errors surface as various types
            self._ready = False
            raise DeliveryError(f"telegram: {type(exc).__name__}") from exc


class SmsSender:
    """twilio's REST client, run in a thread (it is blocking)."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str) -> None:
        from twilio.rest import Client

        self.client = Client(account_sid, auth_token)
        self.from_number = from_number

    async def send_text(self, to: str, text: str) -> None:
        from twilio.base.exceptions import TwilioException

        try:
            await asyncio.to_thread(self.client.messages.create, to=to, from_=self.from_number, body=text[:1600])
        except TwilioException as exc:
            raise DeliveryError(f"twilio: {type(exc).__name__}") from exc
        except Exception as exc:
            raise DeliveryError(f"twilio: {type(exc).__name__}") from exc


class ChannelSender:
    """Routes by channel; a channel without credentials fails (and is retried) rather than dropping the row."""

    def __init__(self, telegram: Optional[TelegramSender] = None, sms: Optional[SmsSender] = None) -> None:
        self.telegram = telegram
        self.sms = sms

    async def send(self, channel: str, address: str, text: str) -> None:
        if channel == "telegram" and self.telegram:
            await self.telegram.send_text(address, text)
        elif channel == "sms" and self.sms:
            await self.sms.send_text(address, text)
        else:
            raise DeliveryError(f"no {channel} sender configured")
