"""E-mail as a channel: Alur's own SMTP endpoint takes customers' mail in, replies go out by SMTP.

Inbound: an aiosmtpd server on the contact center's own event loop (no thread) accepts mail for the
project's address. A message is matched to its thread by `In-Reply-To`/`References` (the Message-IDs
of earlier mails of the thread, ours included); a thread with an open conversation gets the message,
else a new conversation starts and waits in the e-mail queue (the queue's service level is the
response-time target). Outbound: the agent's reply is sent as a reply in the thread (`In-Reply-To`,
`References`, `Re:` subject) through the project's SMTP server, with `smtplib` in a worker thread.
Thread links live in memory (bounded): after a restart those of the open conversations are rebuilt from
their messages, and a reply to the mail of a closed one starts a new thread.
"""

from __future__ import annotations

import asyncio
import email.policy
import os
import smtplib
from collections import OrderedDict
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from alur.config.channels import EmailSettings
from alur.core.errors import AlurError
from alur.service.center import ContactCenter
from alur.service.conversations import Conversation

THREADS_KEPT = 50_000  # Message-ID -> thread links remembered


class MailRefused(AlurError):
    code = "send_failed"


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    return str(text).strip()


class MailChannel:
    """The SMTP endpoint (an aiosmtpd handler) and the reply sender of one contact center."""

    def __init__(self, center: ContactCenter, settings: EmailSettings) -> None:
        self.center = center
        self.settings = settings
        self.threads: OrderedDict[str, str] = OrderedDict()  # Message-ID -> thread (its first Message-ID)
        self.server: asyncio.Server | None = None
        center.conversations.senders["email"] = self.reply

    async def start(self) -> tuple[str, int]:
        for conv in list(self.center.conversations.open.values()):  # open threads rebuilt after a restart
            if conv.channel == "email" and conv.thread:
                self.link(conv.thread, conv.thread)
                for m in conv.messages:
                    if m.get("extra", {}).get("message_id"):
                        self.link(m["extra"]["message_id"], conv.thread)
        host, _, port = self.settings.listen.rpartition(":")
        loop = asyncio.get_running_loop()
        limit = self.settings.max_bytes
        self.server = await loop.create_server(
            lambda: SMTP(self, data_size_limit=limit, hostname=self.domain), host, int(port)
        )
        name = self.server.sockets[0].getsockname()
        return name[0], name[1]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    @property
    def domain(self) -> str:
        return self.settings.address.rpartition("@")[2]

    # --- inbound (aiosmtpd handler hooks) ---------------------------------------------------------

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() != self.settings.address.lower():
            return f"550 5.1.1 no mailbox {address} here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            return "554 5.6.0 unreadable message"
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if not isinstance(message, EmailMessage):
            return "554 5.6.0 unreadable message"
        self.received(message, envelope.mail_from or "")
        return "250 Message accepted"

    def received(self, message: EmailMessage, mail_from: str) -> Conversation:
        name, sender = parseaddr(str(message.get("From", mail_from)))
        message_id = str(message.get("Message-ID", "")).strip() or make_msgid(domain=self.domain)
        earlier = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References")).split()
        thread = next((self.threads[m] for m in earlier if m in self.threads), message_id)
        self.link(message_id, thread)
        subject = str(message.get("Subject", ""))
        conv = self.center.conversations.inbound(
            "email", thread, plain_text(message), queue=self.settings.queue, source=self.settings.address,
            extra={"message_id": message_id, "subject": subject}, email=sender.lower(), name=name,
            subject=subject,
        )  # fmt: skip
        return conv

    def link(self, message_id: str, thread: str) -> None:
        self.threads[message_id] = thread
        self.threads.move_to_end(message_id)
        if len(self.threads) > THREADS_KEPT:
            self.threads.popitem(last=False)

    # --- outbound ---------------------------------------------------------------------------------

    async def reply(self, conv: Conversation, text: str, extra: dict[str, Any]) -> dict[str, Any]:
        """Send the agent's text as a reply in the conversation's thread."""
        ids = [m["extra"]["message_id"] for m in conv.messages if m.get("extra", {}).get("message_id")]
        message = EmailMessage()
        message["From"] = self.settings.address
        message["To"] = conv.email
        subject = conv.subject or ""
        message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()
        message_id = make_msgid(domain=self.domain)
        message["Message-ID"] = message_id
        if ids:
            message["In-Reply-To"] = ids[-1]
            message["References"] = " ".join([conv.thread, *[i for i in ids if i != conv.thread]][-20:])
        message.set_content(text)
        await asyncio.to_thread(self._send, message)
        self.link(message_id, conv.thread)
        return {"message_id": message_id}

    def _send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, os.environ.get(s.smtp_password_env or "", ""))
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as err:
            raise MailRefused(
                f"the reply could not be sent through {s.smtp_host}:{s.smtp_port}: {err}"
            ) from None
