"""Notification texts for responders, from content/responder_texts.yml."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from bot.cases.models import Case, as_utc, utcnow
from bot.settings import PROJECT_ROOT


@lru_cache(maxsize=1)
def _templates() -> dict[str, str]:
    return yaml.safe_load((PROJECT_ROOT / "content" / "responder_texts.yml").read_text(encoding="utf-8"))


def _fields(case: Case) -> dict[str, Any]:
    created = as_utc(case.created_at) or utcnow()
    alerts = _templates().get("alerts") or {}
    return {
        "alert": alerts.get(case.category, ""),
        "reference": case.reference, "organization": case.organization, "priority": case.priority,
        "category": case.category.replace("_", " "), "language": case.language or "?", "country": case.country or "?",
        "channel": case.channel or "?", "indicators": ", ".join(i.replace("_", " ") for i in case.indicators or []) or "none recorded",
        "summary": case.summary or "-", "minutes": int((utcnow() - created).total_seconds() // 60),
    }


def notification_text(case: Case, kind: str) -> str:
    """The staff message for an outbox row of this kind."""
    templates = _templates()
    template = templates.get(kind) or (templates["sla"] if kind.startswith("sla") else templates["escalated"])
    return template.format(**_fields(case))


def urgent_flag_text(reference: str, risk: str) -> str:
    """The flag a responder holding a case gets when the person's message shows self-harm or danger now."""
    templates = _templates()
    return templates["urgent_flag"].format(reference=reference, risk=(templates.get("risks") or {}).get(risk, risk))


def user_message_text(reference: str, text: str, sms: bool) -> str:
    template = _templates()["user_message_sms" if sms else "user_message"]
    return template.format(reference=reference, text=text)
