"""Pseudonyms and the encrypted contact store."""

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.cases.models import Base
from bot.db import make_engine
from bot.privacy.contacts import Contact, ContactStore
from bot.privacy.identity import pseudonym


def test_pseudonyms_are_stable_keyed_and_reveal_nothing():
    a = pseudonym("twilio_sms", "+9779812345678", "key-one")
    assert a == pseudonym("twilio_sms", "+9779812345678", "key-one")
    assert a != pseudonym("twilio_sms", "+9779812345678", "key-two")
    assert a != pseudonym("telegram", "+9779812345678", "key-one")
    assert "9812345678" not in a and a.startswith("twilio_sms-")


def test_contacts_are_encrypted_rotatable_and_erasable(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    store = ContactStore(engine, old)
    store.remember("p1", "telegram", "123456789")
    with store.Session() as session:
        assert b"123456789" not in session.execute(select(Contact.address)).scalar_one()
    rotated = ContactStore(engine, new, old_keys=(old,))
    assert rotated.rotate() == 1
    assert ContactStore(engine, new).address("p1") == ("telegram", "123456789")  # readable without the old key
    assert ContactStore(engine, old).address("p1") is None  # the old key alone no longer opens it
    assert rotated.forget("p1") and rotated.address("p1") is None


def test_two_servers_remembering_one_contact_at_once_keep_one_row(database_url):
    """The first message of a conversation can reach two servers at once (a retried webhook)."""
    from concurrent.futures import ThreadPoolExecutor

    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    key = Fernet.generate_key().decode()
    stores = [ContactStore(make_engine(database_url), key) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        new = list(pool.map(lambda i: stores[i % 2].remember("p2", "twilio_sms", "+9779812345678"), range(16)))
    assert new.count(True) <= 1  # "new conversation" (the one-time advice) at most once
    with stores[0].Session() as session:
        assert len(session.execute(select(Contact.pseudonym)).all()) == 1
    assert stores[1].address("p2") == ("twilio_sms", "+9779812345678")
