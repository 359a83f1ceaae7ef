"""Anonymous statistics: what survives retention and erasure (counts, never a conversation)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from bot.cases.models import Case
from bot.db import session_factory
from bot.privacy.erasure import ErasureRequest


@dataclass
class Counts:
    cases: Counter = field(default_factory=Counter)  # (organization, priority, status) -> n
    erasures: Counter = field(default_factory=Counter)  # status -> n

    @property
    def total_cases(self) -> int:
        return sum(self.cases.values())

    def lines(self) -> list[str]:
        out = [f"cases: {self.total_cases}"]
        out += [f"  {org} {priority} {status}: {n}" for (org, priority, status), n in sorted(self.cases.items())]
        out.append(f"erasures done: {self.erasures.get('done', 0)}; waiting for an open protective case: {self.erasures.get('waiting_case', 0)}")
        return out


def counts(engine: Engine) -> Counts:
    result = Counts()
    with session_factory(engine)() as session:
        for org, priority, status, n in session.execute(
                select(Case.organization, Case.priority, Case.status, func.count()).group_by(Case.organization, Case.priority, Case.status)):
            result.cases[(org, priority, status)] = int(n)
        for status, n in session.execute(select(ErasureRequest.status, func.count()).group_by(ErasureRequest.status)):
            result.erasures[status] = int(n)
    return result
