"""SMS through HTTP gateways: a Twilio-format webhook (signature checked) becomes a task, the agent's
reply is sent to the gateway's API (a local HTTP server here), the conversation stays one task until
closed, and a message after closing opens a new one linked to it. The generic JSON format likewise."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from apikit import Api, start_api
from chatkit import chat_project
from httpsink import Sink, http_sink

from alur.core import events as ev
from alur.integrations.sms import json_signature, twilio_signature

TOKEN = "twilio-auth-token"


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    async with http_sink() as running:
        yield running


@pytest.fixture
async def sms_api(tmp_path: Path, sink: Sink) -> AsyncIterator[Api]:
    settings = (
        "name: shop\ndefault_flow: main\nchannels:\n  sms:\n    queue: sms\n    gateways:\n"
        f"      - {{name: twilio, format: twilio, secret: {TOKEN}, account: AC1, sender: '+15550001',"
        f" send_url: '{sink.url}/2010-04-01/Accounts/AC1/Messages.json'}}\n"
        f"      - {{name: json, secret: s3cret, sender: '+6200', send_url: '{sink.url}/send'}}\n"
    )
    chat_project(tmp_path / "p", **{"alur.yaml": settings})
    async for running in start_api(tmp_path / "p", f"sqlite:///{tmp_path / 'a.db'}"):
        yield running


async def twilio_post(api: Api, params: dict[str, str], signature: str | None = None) -> int:
    url = f"{api.url}/public/sms/twilio"
    sig = signature if signature is not None else twilio_signature(TOKEN, url, params)
    reply = await api.call(
        None, "POST", "/public/sms/twilio", data=params, headers={"X-Twilio-Signature": sig}
    )
    return reply.status_code


async def accept_all(api: Api) -> list[str]:
    await api.settle()
    held = (await api.call("agent", "GET", "/agents/ayu/conversations")).json()["conversations"]
    for c in held:
        if c["offer"]:
            path = f"/agents/ayu/conversations/{c['conversation_id']}/accept"
            assert (await api.call("agent", "POST", path)).status_code == 200
    return [c["conversation_id"] for c in held]


async def test_an_sms_is_answered_and_a_reply_after_closing_opens_a_new_task(
    sms_api: Api, sink: Sink
) -> None:
    api = sms_api
    await api.call("agent", "POST", "/agents/ayu/login")
    assert (
        await twilio_post(api, {"From": "+6281200001", "To": "+15550001", "Body": "Is my order shipped?"})
        == 200
    )
    [first] = await accept_all(api)
    assert await twilio_post(api, {"From": "+6281200001", "To": "+15550001", "Body": "Order 42"}) == 200
    path = f"/agents/ayu/conversations/{first}"
    sent = await api.call("agent", "POST", path + "/messages", json={"text": "Yes, it left today."})
    assert sent.status_code == 200, sent.text
    out = await sink.next()
    assert out.path == "/2010-04-01/Accounts/AC1/Messages.json"
    assert dict(parse_qsl(out.body.decode())) == {
        "To": "+6281200001",
        "From": "+15550001",
        "Body": "Yes, it left today.",
    }
    assert out.headers["authorization"] == "Basic " + base64.b64encode(f"AC1:{TOKEN}".encode()).decode()
    assert (await api.call("agent", "POST", path + "/close")).status_code == 200
    assert await twilio_post(api, {"From": "+6281200001", "To": "+15550001", "Body": "Thanks!"}) == 200
    [second] = await accept_all(api)
    assert second != first
    await api.settle()
    started = [e for e in api.store.events() if isinstance(e, ev.ConversationStarted)]
    assert [(s.conversation_id, s.previous, s.customer_id) for s in started] == [
        (first, "", "C100"), (second, first, "C100"),
    ]  # fmt: skip
    said = [
        (e.conversation_id, e.sender, e.text)
        for e in api.store.events()
        if isinstance(e, ev.ConversationMessage)
    ]
    assert said == [
        (first, "customer", "Is my order shipped?"), (first, "customer", "Order 42"),
        (first, "agent", "Yes, it left today."), (second, "customer", "Thanks!"),
    ]  # fmt: skip
    timeline = (await api.call("supervisor", "GET", "/customers/id:C100/history")).json()["items"]
    assert [i["id"] for i in timeline] == [second, first]


async def test_a_forged_webhook_is_refused_before_anything_happens(sms_api: Api) -> None:
    status = await twilio_post(sms_api, {"From": "+6281200009", "Body": "hi"}, signature="bm9wZQ==")
    assert status == 403
    await sms_api.settle()
    assert not [e for e in sms_api.store.events() if isinstance(e, ev.ConversationStarted)]


async def test_the_generic_json_gateway_both_ways(sms_api: Api, sink: Sink) -> None:
    api = sms_api
    await api.call("agent", "POST", "/agents/ayu/login")
    body = json.dumps({"from": "+6281299999", "to": "+6200", "text": "halo", "id": "g1"}).encode()
    bad = await api.call(
        None, "POST", "/public/sms/json", content=body, headers={"X-Alur-Signature": "sha256=00"}
    )
    assert bad.status_code == 403 and "X-Alur-Signature" in bad.json()["message"]
    good = await api.call(None, "POST", "/public/sms/json", content=body,
                          headers={"X-Alur-Signature": json_signature("s3cret", body)})  # fmt: skip
    assert good.status_code == 200
    [conv] = await accept_all(api)
    sent = await api.call(
        "agent", "POST", f"/agents/ayu/conversations/{conv}/messages", json={"text": "Halo!"}
    )
    assert sent.status_code == 200 and sent.json()["extra"] == {"gateway": "json", "gateway_id": "SM0001"}
    out = await sink.next()
    assert out.path == "/send" and out.headers["x-alur-signature"] == json_signature("s3cret", out.body)
    assert json.loads(out.body) == {"to": "+6281299999", "from": "+6200", "text": "Halo!"}
