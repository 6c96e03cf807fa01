"""`channels:` in alur.yaml: how chat, SMS and e-mail enter the contact center (see docs/multichannel.md).

channels:
  voice_exclusive: true      # an agent on a call takes no chat/sms/email, and the reverse
  chat: {flow: webchat, origins: ["https://shop.example.com"]}
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


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


class ChannelSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    voice_exclusive: bool = True
    chat: ChatSettings | None = None
    history_limit: int = Field(default=200, ge=1, le=5000)  # items on one customer timeline page
