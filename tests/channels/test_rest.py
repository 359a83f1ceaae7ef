"""The REST channel refuses unauthenticated requests before processing anything."""

from __future__ import annotations

import itertools

import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from channels.rest import RestInput
from tests.channels.serving import channel_services, served

TOKEN = "test-token-0123456789abcdef"
_names = itertools.count()


@pytest.fixture
async def client_and_inbox(tmp_path):
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, f"echo:{message.text}")

    app = Sanic(f"rest_test_{next(_names)}")
    services = channel_services(tmp_path)
    channel = RestInput(TOKEN, services=lambda: services)
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/rest")
    async with served(app) as client:
        yield client, received


async def test_without_token_401_and_nothing_processed(client_and_inbox):
    client, received = client_and_inbox
    response = await client.post("/webhooks/rest/webhook", json={"sender": "t1", "message": "hello"})
    assert response.status_code == 401
    assert received == []


async def test_wrong_token_403_and_nothing_processed(client_and_inbox):
    client, received = client_and_inbox
    response = await client.post("/webhooks/rest/webhook?token=wrong", json={"sender": "t1", "message": "hello"})
    assert response.status_code == 403
    response = await client.post("/webhooks/rest/webhook", json={"sender": "t1", "message": "hello"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 403
    assert received == []


@pytest.mark.parametrize("how", ["query", "bearer"])
async def test_with_token_answers_like_rasa_rest(client_and_inbox, how):
    client, received = client_and_inbox
    kwargs = {"headers": {"Authorization": f"Bearer {TOKEN}"}} if how == "bearer" else {}
    url = "/webhooks/rest/webhook" + (f"?token={TOKEN}" if how == "query" else "")
    response = await client.post(url, json={"sender": "t1", "message": "hello"}, **kwargs)
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "t1", "text": "echo:hello"}]
    assert received[0].sender_id == "t1"
    assert received[0].input_channel == "rest"


async def test_forced_intent_is_neutralised(client_and_inbox):
    client, received = client_and_inbox
    await client.post(f"/webhooks/rest/webhook?token={TOKEN}", json={"sender": "t1", "message": "/restart"})
    assert received[0].text == "restart"


@pytest.mark.parametrize(
    "body",
    [{"message": "hi"}, {"sender": "", "message": "hi"}, {"sender": 5, "message": "hi"}, {"sender": "t", "message": 5}, ["x"]],
)
async def test_malformed_bodies_are_400_not_500(client_and_inbox, body):
    client, received = client_and_inbox
    response = await client.post(f"/webhooks/rest/webhook?token={TOKEN}", json=body)
    assert response.status_code == 400
    assert received == []


async def test_invalid_json_is_400(client_and_inbox):
    client, received = client_and_inbox
    response = await client.post(f"/webhooks/rest/webhook?token={TOKEN}", content=b"\xff{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert received == []


async def test_huge_and_empty_messages_are_processed_safely(client_and_inbox):
    client, received = client_and_inbox
    for text in ["", "x" * 10_000, "🙏🙏🙏"]:
        response = await client.post(f"/webhooks/rest/webhook?token={TOKEN}", json={"sender": "t2", "message": text})
        assert response.status_code == 200
    assert len(received) == 3
    assert len(received[1].text) <= 2000
