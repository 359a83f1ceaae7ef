"""The helpline's texts, one YAML file per language, and how to render them.

Texts live in `content/texts/<lang>.yml` so translators edit one file each.
A response has a full form (`text`, for Telegram and REST) and a short form
(`sms`) that must fit in two SMS segments. Topic answers get their legal
sources appended from `content/topics.yml`, so the citation is data, kept once
for every language.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from bot import sms
from bot.settings import PROJECT_ROOT

SMS_CHANNELS = frozenset({"twilio_sms"})
# A short form must fit in this many SMS segments in its own encoding.
SHORT_FORM_SEGMENTS = 2


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    native: str
    support: str  # "full" or "basic"


@dataclass(frozen=True)
class Topic:
    key: str
    intent: str
    response: str
    sources: tuple[str, ...]
    contacts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_nlg(self) -> dict[str, Any]:
        """The JSON body Rasa's NLG client expects."""
        return {"text": self.text, "buttons": self.buttons, "image": None, "elements": [], "attachments": [], "custom": {}}


class _Blank(dict):
    """format_map helper: an unknown placeholder renders as nothing, never a crash."""

    def __missing__(self, key: str) -> str:
        return ""


class Catalog:
    """All languages' texts and the topics' sources, loaded once."""

    def __init__(self, content_dir: Path, defaults: dict[str, str] | None = None) -> None:
        self.content_dir = content_dir
        # placeholders every text may use, such as {name}, the service's (neutral) display name
        self.defaults: dict[str, str] = dict(defaults or {})
        meta = _load_yaml(content_dir / "languages.yml")
        self.default_language: str = meta["default"]
        self.languages: dict[str, Language] = {
            code: Language(code, spec["name"], spec["native"], spec.get("support", "full"))
            for code, spec in meta["languages"].items()
        }
        self.basic_responses: frozenset[str] = frozenset(meta.get("basic_responses", []))
        self.texts: dict[str, dict[str, Any]] = {
            code: _load_yaml(content_dir / "texts" / f"{code}.yml") for code in self.languages
        }
        topics = _load_yaml(content_dir / "topics.yml")["topics"]
        self.topics: dict[str, Topic] = {
            key: Topic(key, spec["intent"], spec["response"], tuple(spec["sources"]), tuple(spec.get("contacts", [])))
            for key, spec in topics.items()
        }
        self._topic_by_response = {t.response: t for t in self.topics.values()}

    def language(self, code: str | None) -> str:
        """A supported language code: the given one if known, else the default."""
        return code if code in self.languages else self.default_language

    def is_basic(self, code: str | None) -> bool:
        """Whether the helpline only understands a little of this language (content/languages.yml `support`)."""
        return code in self.languages and self.languages[code].support == "basic"

    def response_names(self, code: str) -> set[str]:
        return set(self.texts[code].get("responses", {}))

    def label(self, key: str, code: str | None) -> str:
        code = self.language(code)
        return self.texts[code].get("labels", {}).get(key) or self.texts[self.default_language]["labels"][key]

    def _entry(self, name: str, code: str) -> tuple[dict[str, Any], str]:
        """The response entry in the language, falling back to the default language."""
        for lang in (code, self.default_language):
            entry = self.texts[lang].get("responses", {}).get(name)
            if entry:
                return entry, lang
        raise KeyError(f"no text named {name!r} in any language")

    def topic_of_response(self, name: str | None) -> Topic | None:
        return self._topic_by_response.get(name or "")

    def topic_of_intent(self, intent: str | None) -> Topic | None:
        return next((t for t in self.topics.values() if t.intent == intent), None)

    def labels(self, code: str | None) -> dict[str, str]:
        """All labels in the language, the default language's where one is missing."""
        return {**self.texts[self.default_language].get("labels", {}), **self.texts[self.language(code)].get("labels", {})}

    def render(self, name: str, code: str | None, channel: str | None = None, **args: Any) -> Rendered:
        """Render response `name` in language `code`.

        SMS channels get the short form unless `form="full"` is asked for (the
        person replied 1 for more). A short topic answer ends with "reply 1 for
        more" and names its first source when that still fits in 2 segments;
        the full form names every source.
        """
        entry, lang = self._entry(name, self.language(code))
        short = channel in SMS_CHANNELS and args.get("form") != "full" and bool(entry.get("sms"))
        template = entry["sms"] if short else entry["text"]
        text = string.Formatter().vformat(template, (), _Blank({**self.defaults, **args})).strip()
        topic = self._topic_by_response.get(name)
        if topic and short:
            hint = self.label("more_hint", lang)
            with_source = f"{text}\n{self.label('source', lang)}: {topic.sources[0]}\n{hint}"
            text = with_source if sms.cost(with_source).segments <= SHORT_FORM_SEGMENTS else f"{text}\n{hint}"
        elif topic:
            text = f"{text}\n{self.label('source', lang)}: {'; '.join(topic.sources)}"
        # Numbered choices become buttons on channels that show them; the text
        # already lists the numbers, which is all SMS has.
        buttons = [] if short else [{"title": str(label), "payload": str(number)} for number, label in args.get("choices", [])]
        return Rendered(text=text.strip(), buttons=buttons)


def _load_yaml(path: Path) -> Mapping[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    from bot.settings import load_settings

    return Catalog(PROJECT_ROOT / "content", defaults={"name": load_settings().display_name})
