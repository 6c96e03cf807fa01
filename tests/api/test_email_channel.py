"""E-mail end to end with real SMTP on both sides: a customer's mail delivered to Alur's SMTP endpoint
becomes a task in the e-mail queue, the agent's reply reaches the customer's mailbox (a local aiosmtpd
sink) as a reply in the thread, and the customer's answer to it joins the same conversation."""

from __future__ import annotations

import asyncio
import email.policy
import smtplib
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from apikit import Api, start_api
from chatkit import chat_project

from alur.api.mail import MailChannel
from alur.core import events as ev


class Mailbox:
    """The customer's mail server: keeps what it is sent."""

    def __init__(self) -> None:
        self.mails: asyncio.Queue[EmailMessage] = asyncio.Queue()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mails.put_nowait(message)
        return "250 OK"


@pytest.fixture
async def mailbox() -> AsyncIterator[tuple[Mailbox, int]]:
    box = Mailbox()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(box), "127.0.0.1", 0)
    async with server:
        yield box, server.sockets[0].getsockname()[1]


@pytest.fixture
async def mail_api(tmp_path: Path, mailbox: tuple[Mailbox, int]) -> AsyncIterator[tuple[Api, int]]:
    settings = (
        "name: shop\ndefault_flow: main\nchannels:\n  email:\n    queue: mail\n    listen: 127.0.0.1:0\n"
        f"    address: help@shop.example\n    smtp_host: 127.0.0.1\n    smtp_port: {mailbox[1]}\n"
    )
    chat_project(tmp_path / "p", **{"alur.yaml": settings})
    async for api in start_api(tmp_path / "p", f"sqlite:///{tmp_path / 'a.db'}"):
        assert api.center.project.settings.channels.email is not None
        channel = MailChannel(api.center, api.center.project.settings.channels.email)
        _, port = await channel.start()
        try:
            yield api, port
        finally:
            await channel.stop()


def deliver(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


def mail(subject: str, text: str, **headers: str) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Dewi <Dewi@Example.com>"
    m["To"] = "help@shop.example"
    m["Subject"] = subject
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(text)
    return m


async def test_a_mail_becomes_a_task_and_the_reply_reaches_the_customer(
    mail_api: tuple[Api, int], mailbox: tuple[Mailbox, int]
) -> None:
    api, port = mail_api
    box, _ = mailbox
    await api.call("agent", "POST", "/agents/ayu/login")
    first = mail("Broken kettle", "My kettle stopped working.", Message_ID="<k1@example.com>")
    await asyncio.to_thread(deliver, port, first)
    await api.settle()
    [conv] = (await api.call("agent", "GET", "/agents/ayu/conversations")).json()["conversations"]
    assert (conv["channel"], conv["email"], conv["subject"], conv["customer_id"]) == (
        "email", "dewi@example.com", "Broken kettle", "C100",
    )  # fmt: skip
    path = f"/agents/ayu/conversations/{conv['conversation_id']}"
    assert (await api.call("agent", "POST", path + "/accept")).status_code == 200
    sent = await api.call("agent", "POST", path + "/messages", json={"text": "We will send a new one."})
    assert sent.status_code == 200, sent.text
    reply = await asyncio.wait_for(box.mails.get(), 10)
    assert reply["To"] == "dewi@example.com" and reply["From"] == "help@shop.example"
    assert reply["Subject"] == "Re: Broken kettle" and reply["In-Reply-To"] == "<k1@example.com>"
    assert reply.get_content().strip() == "We will send a new one."
    answer = mail("Re: Broken kettle", "Thank you!", In_Reply_To=reply["Message-ID"],
                  References=f"<k1@example.com> {reply['Message-ID']}")  # fmt: skip
    await asyncio.to_thread(deliver, port, answer)
    await api.settle()
    said = [
        (e.conversation_id, e.sender, e.text)
        for e in api.store.events()
        if isinstance(e, ev.ConversationMessage)
    ]
    cid = conv["conversation_id"]
    assert said == [
        (cid, "customer", "My kettle stopped working."), (cid, "agent", "We will send a new one."),
        (cid, "customer", "Thank you!"),
    ]  # fmt: skip


async def test_mail_for_another_address_is_refused(mail_api: tuple[Api, int]) -> None:
    _, port = mail_api
    wrong = mail("hi", "hello")
    del wrong["To"]
    wrong["To"] = "sales@elsewhere.example"
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        await asyncio.to_thread(deliver, port, wrong)
