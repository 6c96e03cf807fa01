"""`channels:` in alur.yaml: how chat, SMS and e-mail enter the contact center (see docs/multichannel.md).

channels:
  voice_exclusive: true      # an agent on a call takes no chat/sms/email, and the reverse
  chat: {flow: webchat, origins: ["https://shop.example.com"]}
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class ChatSettings(BaseModel):
    """The web chat widget: the flow a new chat enters, and the web sites allowed to embed it."""

    model_config = ConfigDict(extra="forbid")
    flow: str | None = None  # a flow of flows/*.yaml; without one a chat goes straight to `queue`
    queue: str | None = None
    origins: tuple[str, ...] = ("*",)  # sites (scheme://host[:port]) whose pages may open chats
    greeting: str = ""

    @field_validator("origins")
    @classmethod
    def _origins(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for origin in v:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"an origin is '*' or scheme://host[:port] (got {origin!r})")
        return v


class SmsGateway(BaseModel):
    """One SMS/messaging gateway: its inbound webhook is `/public/sms/<name>`.

    format      `json` (Alur's generic JSON, signed `X-Alur-Signature: sha256=<hmac of the body>`) or
                `twilio` (form-encoded, `X-Twilio-Signature`: HMAC-SHA1 of URL + sorted parameters)
    secret      the shared secret (Twilio: the auth token); or `secret_env`, an environment variable
    send_url    where replies are POSTed (Twilio: .../Accounts/<sid>/Messages.json)
    account     Twilio's account SID (HTTP basic user for sending)
    sender      the number replies come from
    public_url  the webhook's URL as the gateway calls it (Twilio signs it; behind a proxy it differs)
    """

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    format: Literal["json", "twilio"] = "json"
    secret: str = ""
    secret_env: str | None = None
    send_url: str
    account: str = ""
    sender: str = ""
    public_url: str | None = None

    @model_validator(mode="after")
    def _secret(self) -> SmsGateway:
        if not self.secret and not self.secret_env:
            raise ValueError(
                f"SMS gateway {self.name!r} needs 'secret' or 'secret_env' (webhooks are signed)"
            )
        return self

    def key(self) -> str:
        """The shared secret (read from the environment at use, so it can rotate without a reload)."""
        return os.environ.get(self.secret_env, "") if self.secret_env else self.secret


class SmsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str
    gateways: tuple[SmsGateway, ...] = Field(min_length=1)


class EmailSettings(BaseModel):
    """E-mail: received by Alur's own SMTP endpoint, replies sent through an SMTP server.

    queue        where new e-mail threads wait (its service_level.seconds is the response-time target)
    listen       `host:port` of the inbound SMTP endpoint (point the domain's MX or a forward at it)
    address      the address customers write to; replies come from it
    smtp_host    the server replies are sent through (`smtp_port`, `smtp_user`, `smtp_password_env`,
                 `smtp_starttls`)
    """

    model_config = ConfigDict(extra="forbid")
    queue: str
    listen: str = "127.0.0.1:2525"
    address: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password_env: str | None = None
    smtp_starttls: bool = False
    max_bytes: int = Field(default=10_000_000, ge=1000)

    @field_validator("listen")
    @classmethod
    def _listen(cls, v: str) -> str:
        host, _, port = v.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"listen must be host:port (got {v!r})")
        return v


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice_exclusive: bool = True
    chat: ChatSettings | None = None
    sms: SmsSettings | None = None
    email: EmailSettings | None = None
    history_limit: int = Field(default=200, ge=1, le=5000)  # items on one customer timeline page


def channel_problems(
    settings: ChannelSettings,
    flows: set[str],
    queue_channels: Mapping[str, str],
    deflecting: Sequence[str] = (),
) -> list[str]:
    """What `channels:` names that the project lacks: flows, queues, or a queue of another channel; and
    `deflect` nodes (`deflecting`: "flow.node") with no SMS gateway to send through."""
    out: list[str] = []
    if deflecting and settings.sms is None:
        out.append(
            f"deflect node(s) {', '.join(deflecting)} send SMS, but alur.yaml has no channels.sms gateway"
        )
    wanted: list[tuple[str, str | None, str]] = []
    if settings.chat is not None:
        if settings.chat.flow and settings.chat.flow not in flows:
            out.append(f"channels.chat.flow '{settings.chat.flow}' does not exist (flows: {sorted(flows)})")
        if not settings.chat.flow and not settings.chat.queue:
            out.append("channels.chat needs 'flow' (a flow chats enter) or 'queue'")
        wanted.append(("chat", settings.chat.queue, "chat"))
    if settings.sms is not None:
        wanted.append(("sms", settings.sms.queue, "sms"))
    if settings.email is not None:
        wanted.append(("email", settings.email.queue, "email"))
    for where, queue, channel in wanted:
        if queue is None:
            continue
        if queue not in queue_channels:
            out.append(f"channels.{where}.queue '{queue}' does not exist (queues: {sorted(queue_channels)})")
        elif queue_channels[queue] != channel:
            kind = queue_channels[queue]
            out.append(f"channels.{where}.queue '{queue}' is a {kind} queue (give it 'channel: {channel}')")
    return out
