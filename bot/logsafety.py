"""Logging that cannot leak a phone number, a chat id or what a person wrote.

Message texts and sender ids are never logged by our code; this filter is
the safety net for everything else (Rasa, rasa_sdk, libraries, tracebacks),
at every level, debug included. In every record that reaches a handler it
masks:
- Telegram bot tokens and any run of seven or more digits (phone numbers, chat ids);
- the texts and raw ids of the message being handled: channels and the action
  server register them with `hide()` for the current request (a context
  variable, so concurrent conversations never see each other's), and any
  occurrence, whole, word by word, or JSON-escaped, becomes "[text]".
HTTP client libraries, which log request URLs, are kept at WARNING.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar

_LONG_NUMBER = re.compile(r"\+?\d[\d\s\-().]{5,}\d")
# Telegram bot tokens appear in Bot API URLs: .../bot123456:ABC-DEF/sendMessage
_BOT_TOKEN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{3,}")
# A message's words in JSON logged by Rasa (a tracker's whole history goes into each NLG request at DEBUG):
# every "text" and entity "value" string is masked, whoever's message it was and whenever it was sent.
_JSON_TEXT = re.compile(r'("(?:text|value)"\s*:\s*)"(?:[^"\\]|\\.)*"')
# Libraries that log every request URL (with the bot token) at INFO.
_CHATTY_LIBRARIES = ("httpx", "httpcore", "telegram", "twilio", "urllib3")


# Words shorter than this are left alone ("a", "to", "yes" say nothing about anyone).
_MIN_WORD = 4
_HIDDEN: ContextVar[tuple[str, ...]] = ContextVar("helpline_hidden_log_values", default=())
# compiled on the first record that needs it (most requests log nothing at INFO)
_HIDDEN_PATTERN: ContextVar["tuple[tuple[str, ...], re.Pattern[str]] | None"] = ContextVar("helpline_hidden_log_pattern", default=None)


def hide(*values: object) -> None:
    """Mask these values (a message text, a raw id) in every log record of the current request."""
    found = set(_HIDDEN.get())
    for value in values:
        if not isinstance(value, str) or not value.strip():
            continue
        for piece in {value.strip(), *value.split()}:
            if len(piece) >= _MIN_WORD:
                found.add(piece)
                found.add(json.dumps(piece)[1:-1])  # as Rasa's JSON logs write non-ASCII text
    _HIDDEN.set(tuple(sorted(found, key=len, reverse=True)))


def _hidden_pattern() -> "re.Pattern[str] | None":
    values = _HIDDEN.get()
    if not values:
        return None
    cached = _HIDDEN_PATTERN.get()
    if cached is not None and cached[0] is values:
        return cached[1]
    # whole words only, so "thank" hides the person's word, not Rasa's "utter_thank"
    pattern = re.compile("(?<![\\w])(?:" + "|".join(re.escape(v) for v in values) + ")(?![\\w])")
    _HIDDEN_PATTERN.set((values, pattern))
    return pattern


def redact(text: str) -> str:
    """Mask registered texts, texts in logged JSON, bot tokens and digit runs long enough to be a phone
    number or a chat id."""
    pattern = _hidden_pattern()
    if pattern is not None:
        text = pattern.sub("[text]", text)
    text = _JSON_TEXT.sub(r'\1"[text]"', text)

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
