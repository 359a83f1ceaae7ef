"""A webhook recorded by a server that died before handling it is handled on retry; a handled one never twice."""

from __future__ import annotations

from bot.db import make_engine
from bot.inbound import InboundLog
from bot.migrate import ensure_schema


def test_retry_of_an_unhandled_webhook_is_handled_and_of_a_handled_one_is_skipped(database_url):
    engine = make_engine(database_url)
    ensure_schema(engine)
    log = InboundLog(engine)
    assert log.first_time("twilio_sms", "SM1", "sms-a") is True
    # the server dies here, before `handled`: the retry (inside the conversation's turn) takes it over
    assert log.first_time("twilio_sms", "SM1", "sms-a") is True
    log.handled("twilio_sms", "SM1")
    assert log.first_time("twilio_sms", "SM1", "sms-a") is False
    assert log.first_time("telegram", "SM1", "tg-a") is True  # ids are per channel


def test_arrival_tells_new_unfinished_and_done_apart(database_url):
    from bot.inbound import Arrival

    engine = make_engine(database_url)
    ensure_schema(engine)
    log = InboundLog(engine)
    assert log.arrival("telegram", "7", "tg-a") is Arrival.NEW
    assert log.arrival("telegram", "7", "tg-a") is Arrival.UNFINISHED  # its server died before handling it
    log.handled("telegram", "7")
    assert log.arrival("telegram", "7", "tg-a") is Arrival.DONE
