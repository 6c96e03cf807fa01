"""SMS and messaging gateways over HTTP: inbound webhooks (signature checked) and outbound sends.

Two formats. `json`, Alur's generic one: the gateway POSTs `{"from", "to", "text", "id"}` with
`X-Alur-Signature: sha256=<HMAC-SHA256 of the body with the shared secret>`, and Alur POSTs replies
as `{"to", "from", "text"}` signed the same way. `twilio`: Twilio's form-encoded webhook (`From`, `To`,
`Body`, `MessageSid`) signed with `X-Twilio-Signature` (base64 HMAC-SHA1 of the URL followed by each
parameter name and value in name order, keyed with the auth token); replies go to its Messages API
(form-encoded `To`, `From`, `Body`, HTTP basic auth with the account SID and auth token).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import httpx

from alur.config.channels import SmsGateway
from alur.core.errors import AlurError

TWILIO_HEADER = "X-Twilio-Signature"
JSON_HEADER = "X-Alur-Signature"


class BadWebhook(AlurError):
    code = "bad_webhook"


class SendFailed(AlurError):
    code = "send_failed"


@dataclass(frozen=True, slots=True)
class Inbound:
    sender: str  # the customer's number
    to: str
    text: str
    message_id: str


def twilio_signature(key: str, url: str, params: Mapping[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(key.encode(), data.encode(), hashlib.sha1).digest()).decode()


def json_signature(key: str, body: bytes) -> str:
    return "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def parse_inbound(gateway: SmsGateway, url: str, headers: Mapping[str, str], body: bytes) -> Inbound:
    """Check the signature and read the message; raises `BadWebhook` naming what is wrong."""
    key = gateway.key()
    if gateway.format == "twilio":
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        given = headers.get(TWILIO_HEADER.lower(), "")
        if not hmac.compare_digest(given, twilio_signature(key, gateway.public_url or url, params)):
            raise BadWebhook(f"gateway {gateway.name!r}: {TWILIO_HEADER} does not match", value=given)
        if "From" not in params:
            raise BadWebhook(f"gateway {gateway.name!r}: no 'From' in the webhook", value=sorted(params))
        return Inbound(
            params["From"], params.get("To", ""), params.get("Body", ""), params.get("MessageSid", "")
        )
    given = headers.get(JSON_HEADER.lower(), "")
    if not hmac.compare_digest(given, json_signature(key, body)):
        raise BadWebhook(f"gateway {gateway.name!r}: {JSON_HEADER} does not match", value=given)
    try:
        data = json.loads(body)
        return Inbound(
            str(data["from"]), str(data.get("to", "")), str(data.get("text", "")), str(data.get("id", ""))
        )
    except (ValueError, KeyError, TypeError) as bad:
        raise BadWebhook(f"gateway {gateway.name!r}: expected JSON with 'from' and 'text' ({bad})") from None


async def send(client: httpx.AsyncClient, gateway: SmsGateway, to: str, text: str) -> dict[str, Any]:
    """Send one message; returns what the gateway said (its message id). Raises `SendFailed`."""
    key = gateway.key()
    try:
        if gateway.format == "twilio":
            form = {"To": to, "From": gateway.sender, "Body": text}
            response = await client.post(gateway.send_url, data=form, auth=(gateway.account, key))
        else:
            body = json.dumps({"to": to, "from": gateway.sender, "text": text}).encode()
            headers = {"Content-Type": "application/json", JSON_HEADER: json_signature(key, body)}
            response = await client.post(gateway.send_url, content=body, headers=headers)
    except httpx.HTTPError as err:
        raise SendFailed(f"SMS gateway {gateway.name!r} unreachable: {err}", value=gateway.send_url) from None
    if response.status_code >= 300:
        raise SendFailed(
            f"SMS gateway {gateway.name!r} refused the message: HTTP {response.status_code}",
            value=response.status_code,
        )
    try:
        reply = response.json()
    except ValueError:
        reply = {}
    return {"gateway": gateway.name, "gateway_id": str(reply.get("sid") or reply.get("id") or "")}
