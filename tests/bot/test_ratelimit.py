"""The rate limit counts every server's messages together, exactly, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from bot.cases.models import Base
from bot.db import make_engine
from bot.ratelimit import RateLimiter, Verdict

NOW = dt.datetime(2026, 11, 28, 12, 0, 30, tzinfo=dt.timezone.utc)


def test_two_servers_counting_one_conversation_at_once_answer_the_limit_once(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    servers = [RateLimiter(make_engine(database_url), per_minute=30) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(lambda i: servers[i % 2].check("sms-flood", now=NOW), range(40)))
    assert verdicts.count(Verdict.ALLOW) == 30
    assert verdicts.count(Verdict.TELL) == 1  # one friendly answer, not one per server
    assert verdicts.count(Verdict.DROP) == 9


def test_the_next_minute_starts_again_and_old_minutes_are_forgotten(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    limiter = RateLimiter(engine, per_minute=2)
    assert [limiter.check("a", now=NOW) for _ in range(4)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.TELL, Verdict.DROP]
    later = NOW + dt.timedelta(minutes=1)
    assert limiter.check("a", now=later) is Verdict.ALLOW
    assert limiter.check("b", now=NOW) is Verdict.ALLOW  # per conversation
    assert limiter.forget_old(now=NOW + dt.timedelta(minutes=5)) == 3
