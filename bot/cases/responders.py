"""Responders (IOM and UNICEF staff) from responders.yml, and who gets which case."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

from bot.cases.models import ORGANIZATIONS


@dataclass(frozen=True)
class Responder:
    id: str
    organization: str
    countries: tuple[str, ...] = ("*",)
    languages: tuple[str, ...] = ("*",)
    telegram_chat_id: Optional[str] = None
    phone: Optional[str] = None

    def covers(self, country: Optional[str], language: Optional[str]) -> bool:
        return ("*" in self.countries or (country or "") in self.countries) and (
            "*" in self.languages or (language or "") in self.languages
        )

    def addresses(self) -> list[tuple[str, str]]:
        """(channel, address) pairs this responder is notified on."""
        found = []
        if self.telegram_chat_id:
            found.append(("telegram", str(self.telegram_chat_id)))
        if self.phone:
            found.append(("sms", str(self.phone)))
        return found


class ResponderError(ValueError):
    pass


class Responders:
    def __init__(self, responders: Iterable[Responder]) -> None:
        self.all = list(responders)
        self.by_id = {r.id: r for r in self.all}

    @classmethod
    def from_data(cls, data: Any) -> "Responders":
        items = (data or {}).get("responders") or []
        parsed = []
        for item in items:
            org = str(item.get("organization", "")).upper()
            if org not in ORGANIZATIONS or not item.get("id"):
                raise ResponderError(f"responder {item!r}: needs an id and organization IOM or UNICEF")
            if not item.get("telegram_chat_id") and not item.get("phone"):
                raise ResponderError(f"responder {item['id']}: needs telegram_chat_id and/or phone")
            parsed.append(Responder(
                id=str(item["id"]),
                organization=org,
                countries=tuple(str(c).upper() if c != "*" else "*" for c in item.get("countries", ["*"])),
                languages=tuple(str(l).lower() for l in item.get("languages", ["*"])),
                telegram_chat_id=str(item["telegram_chat_id"]) if item.get("telegram_chat_id") else None,
                phone=str(item["phone"]) if item.get("phone") else None,
            ))
        if len({r.id for r in parsed}) != len(parsed):
            raise ResponderError("responder ids must be unique")
        return cls(parsed)

    @classmethod
    def load(cls, path: Path) -> "Responders":
        if not path.is_file():
            return cls([])
        return cls.from_data(yaml.safe_load(path.read_text(encoding="utf-8")))

    def for_case(self, organization: str, country: Optional[str], language: Optional[str], widen: bool = False) -> list[Responder]:
        """Responders of the organisation matching country and language, else all of it."""
        of_org = [r for r in self.all if r.organization == organization]
        if widen:
            return of_org
        matching = [r for r in of_org if r.covers(country, language)]
        return matching or of_org

    def by_telegram_chat(self, chat_id: str) -> Optional[Responder]:
        return next((r for r in self.all if r.telegram_chat_id == str(chat_id)), None)
