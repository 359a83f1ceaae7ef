"""Logging that cannot leak a phone number or a chat id.

Message texts and sender ids are never logged at INFO or above by our code;
this filter is the safety net for everything else (libraries, tracebacks): it
masks Telegram bot tokens and any run of seven or more digits, which covers
phone numbers and Telegram ids, in every record that reaches a handler.
HTTP client libraries, which log request URLs, are kept at WARNING.
"""

from __future__ import annotations

import logging
import re

_LONG_NUMBER = re.compile(r"\+?\d[\d\s\-().]{5,}\d")
# Telegram bot tokens appear in Bot API URLs: .../bot123456:ABC-DEF/sendMessage
_BOT_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{3,}")
# Libraries that log every request URL (with the bot token) at INFO.
_CHATTY_LIBRARIES = ("httpx", "httpcore", "telegram", "twilio", "urllib3")


def redact(text: str) -> str:
    """Mask bot tokens and digit runs long enough to be a phone number or a chat id."""

    def mask(match: re.Match[str]) -> str:
        digits = sum(ch.isdigit() for ch in match.group())
        return "[number]" if digits >= 7 else match.group()

    return _LONG_NUMBER.sub(mask, _BOT_TOKEN.sub("[token]", text))


class RedactingFilter(logging.Filter):
    """Rewrites each record's final message with `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(level: str = "INFO") -> None:
    """Attach the filter to every handler known now (root and sanic's own loggers)."""
    flt = RedactingFilter()
    names = ["", "sanic.root", "sanic.error", "sanic.access", "rasa", "rasa_sdk"]
    for name in names:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(flt)
    logging.getLogger().setLevel(level)
    for name in _CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
