"""The live SIP server: one process answering calls with a project's flows and routing its queues.

Wiring only: transports -> transaction stack -> user agent; each answered call gets an RTP stream and a
`SipChannel`, and the flow interpreter runs on it; the routing engine's offers ring agents' phones
through `LiveQueues`. Events go to the injected `emit` (the event log).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from alur.core.announcements import Announcements
from alur.core.errors import AlurError, CallerHungUp
from alur.core.events import Event, PhoneRegistered
from alur.integrations.speech import LazyRecognizer
from alur.media.clock import MediaClock
from alur.media.prompts import PromptLibrary
from alur.media.rtp import RtpStream
from alur.service.center import ContactCenter
from alur.service.commands import Login, Logout
from alur.service.state import PhoneView
from alur.telephony.browser import BrowserCalls
from alur.telephony.channel import SipChannel
from alur.telephony.connect import Connector, Target
from alur.telephony.echo import EchoExtension
from alur.telephony.live import LiveQueues
from alur.telephony.metrics import SipCollector
from alur.telephony.options import ServerOptions, default_cache_dir, local_address
from alur.telephony.recording import Recordings
from alur.telephony.sip.legs import ServerLegState
from alur.telephony.sip.message import parse_uri
from alur.telephony.sip.registrar import Binding, Registrar
from alur.telephony.sip.sdp import SdpError, answer_params, build_answer, build_offer
from alur.telephony.sip.stack import SipStack
from alur.telephony.sip.transport import SipTransports
from alur.telephony.sip.ua import ServerCall, UserAgent
from alur.telephony.supervision import Supervision

log = logging.getLogger("alur.server")


class SipServer:
    """The SIP adapter of a `ContactCenter`: answers INVITEs, runs each call's flow, rings agents."""

    def __init__(self, center: ContactCenter, options: ServerOptions):
        self.center = center
        self.project = center.project
        self.options = options
        self.router = center.router
        self.runner = center.runner
        self.channels: dict[str, SipChannel] = {}  # calls in progress only
        self._calls: set[asyncio.Task[Any]] = set()
        self.on_call_finished: Callable[[SipChannel], None] = lambda channel: None
        self.media_host = options.media_host or (
            local_address() if options.host in ("0.0.0.0", "::", "") else options.host
        )
        self.media_clock = MediaClock()  # one 20 ms clock sends every call's audio
        self.overload = options.overload_guard()

    def emit(self, event: Event) -> None:
        self.center.publish(event)

    async def start(self, phones: Iterable[PhoneView] = ()) -> None:
        """Listen; `phones` are registrations restored from the log (a phone that registered before a
        restart is rung again without waiting for it to register anew)."""
        self.clock = self.center.clock
        opts = self.options
        self.stack = SipStack(
            self.clock,
            self.media_host,
            opts.port,
            max_pending_invites=opts.max_pending_invites,
            overloaded=self.overload.overloaded,
            retry_after=opts.retry_after,
        )
        self.transports = SipTransports(self.stack)
        self.registrar = Registrar(self.clock, dict(opts.phones), on_change=self._binding_changed)
        for phone in phones:
            self.registrar.restore(phone.user, phone.contact, phone.transport, phone.expires_at)
        self.ua = UserAgent(self.stack, self.clock, self.transports.peer_for, registrar=self.registrar)
        self.ua.on_invite = self._on_invite
        self.recordings = Recordings(self.center, (opts.recordings_dir or Path("recordings")) / "calls")
        root = Path(getattr(self.project, "root", "."))
        sounds = root / getattr(self.project.settings, "prompts_dir", "prompts")
        self.prompts = PromptLibrary(
            sounds, opts.cache_dir or default_cache_dir(), resolver=getattr(self.project, "prompt_path", None)
        )
        self.browsers = BrowserCalls(
            self.center.phones,
            self.media_clock,
            self.center.spawn,
            self.center.execute,
            other_phone=lambda agent_id: self._phone_target(agent_id) is not None,
            presence=self._presence,
            held=lambda agent_id: agent_id in self.connector.held,
        )
        self.connector = Connector(
            self.ua,
            self.media_host,
            self.resolve,
            clock=self.clock,
            emit=self.emit,
            bind_host=opts.host,
            execute=self.center.execute,
            media_clock=self.media_clock,
            recordings=self.recordings,
            browsers=self.browsers,
        )
        self.recognizer = LazyRecognizer(self.project.settings.server.get("speech"))
        self.queues = LiveQueues(
            self.center,
            self.connector,
            self.agent_target,
            self.center.spawn,
            Announcements(self.project.settings.announcement_overrides()),
        )
        self.supervision = Supervision(
            self.center,
            self.connector,
            features=opts.features,
            supervisors=opts.supervisors,
            agent_for_extension=self._agent_id_for_user,
            new_stream=self._new_stream,
        )
        self.echo = EchoExtension(opts.features.get("echo", ""), self._new_stream)
        self.center.phones.echo_extension = self.echo.code
        devices = self.center.devices
        devices.supervise, devices.end_supervision = self.supervision.request, self.supervision.leave
        devices.pause_recording = self.recordings.pause
        await self.transports.start(opts.host, opts.port, tcp=opts.tcp)
        self.overload.start(self.transports.udp_socket)
        self.center.collectors.append(SipCollector(self))  # served on the HTTP API's /metrics
        if opts.port == 0:
            opts.port = self.transports.udp.get_extra_info("sockname")[1]  # type: ignore[union-attr]
            self.stack.local_port = opts.port
        for agent in self.project.agents.values():
            if agent.sip_uri and self.router.agent_state(agent.id) == "offline":
                self.center.execute(Login(agent.id))
        self._sweep()

    def _sweep(self) -> None:
        """Every 10 s: expired phone registrations log their agents out; every 6 h (and at start),
        recordings past their retention are deleted."""
        self.registrar.sweep()
        self._sweeps += 1
        if self._sweeps % 2160 == 1:
            self.center.spawn(self.recordings.cleanup(), "recording retention")
        self._sweeper = self.clock.call_later(10.0, self._sweep)

    _sweeps = 0

    async def stop(self) -> None:
        self._sweeper.cancel()
        self.overload.stop()
        for channel in list(self.channels.values()):
            await channel.hangup("shutdown")
        self.queues.hang_up_all()
        await self.browsers.close()
        if self._calls:  # each call ends its own agent leg as its flow unwinds
            await asyncio.wait(list(self._calls), timeout=5.0)
        for leg in [*self.ua.dialogs.values(), *self.ua.calls.values()]:
            leg.hangup()  # anything left (a callback's legs, a leg still ringing): BYE or CANCEL
        await self.transports.close()
        await self.ua.names.close()
        self.media_clock.close()

    # --- agents ------------------------------------------------------------------------------------

    def _agent_for_user(self, user: str) -> Any:
        for agent in self.project.agents.values():
            if user in (agent.extension, agent.id):
                return agent
        return None

    def _binding_changed(self, user: str, binding: Binding | None) -> None:
        agent = self._agent_for_user(user)
        if agent is None or agent.sip_uri:
            return
        now = self.clock.now()
        if binding is not None:
            self.emit(
                PhoneRegistered(now, agent.id, user, binding.contact, binding.transport, binding.expires_at)
            )
        else:
            self.emit(PhoneRegistered(now, agent.id, user, "", "", 0.0))
        state = str(self.router.agent_state(agent.id))
        try:
            if binding is not None and state == "offline":
                self.center.execute(Login(agent.id))
            elif binding is None and state != "offline":
                self.center.execute(Logout(agent.id))
        except AlurError as exc:
            log.warning("agent %s: %s", agent.id, exc.message)

    def _agent_id_for_user(self, user: str) -> str | None:
        agent = self._agent_for_user(user)
        return agent.id if agent is not None else None

    def agent_target(self, agent_id: str) -> Target | None:
        """Where the agent takes calls: the desktop page they made their phone, else their SIP phone."""
        if agent_id in self.project.agents and self.center.phones.attached(agent_id):
            return Target.browser(agent_id)
        return self._phone_target(agent_id)

    def _presence(self, agent_id: str) -> tuple[str, str | None]:
        """The agent's routing state and pause reason (what the browser phones check)."""
        agent = self.center.router.agents.get(agent_id)
        return ("", None) if agent is None else (agent.state.value, agent.pause_reason)

    def _phone_target(self, agent_id: str) -> Target | None:
        agent = self.project.agents.get(agent_id)
        if agent is None:
            return None
        if agent.sip_uri:
            return Target.from_uri(agent.sip_uri, agent_id, agent_id=agent_id)
        binding = self.registrar.lookup(agent.extension or agent.id) or self.registrar.lookup(agent.id)
        if binding is None:
            return None
        return self._binding_target(binding, agent_id, agent_id)

    def resolve(self, destination: str) -> Target | None:
        """An agent id or extension, a SIP URI, or a phone number (through the trunk)."""
        dest = destination.strip()
        if dest.startswith("agent:"):
            dest = dest[6:]
        if dest in self.project.agents:
            return self.agent_target(dest)
        agent = self._agent_for_user(dest)
        if agent is not None:
            return self.agent_target(agent.id)
        if dest.lower().startswith(("sip:", "sips:")):
            for configured in self.project.agents.values():
                if configured.sip_uri and configured.sip_uri == dest:  # an agent's own phone
                    return self.agent_target(configured.id)
            try:
                return Target.from_uri(dest)
            except (ValueError, IndexError):
                return None
        number = dest.removeprefix("tel:")
        if self.options.trunk and number.lstrip("+").isdigit():
            trunk = parse_uri(self.options.trunk)
            port = f":{trunk.port}" if trunk.port else ""
            creds = (
                (self.options.trunk_user, self.options.trunk_password or "")
                if self.options.trunk_user
                else None
            )
            return Target(
                f"sip:{number}@{trunk.host}{port}", (trunk.host, trunk.port or 5060), "UDP", number, creds
            )
        binding = self.registrar.lookup(dest)
        if binding is not None:
            return self._binding_target(binding, dest)
        return None

    @staticmethod
    def _binding_target(binding: Binding, label: str, agent_id: str = "") -> Target:
        """Ring the registered Contact; over TCP, through the phone's own connection."""
        if binding.transport == "TCP":
            return Target(binding.contact, binding.source, "TCP", label, agent_id=agent_id)
        return Target.from_uri(binding.contact, label, agent_id=agent_id)

    # --- calls -------------------------------------------------------------------------------------

    def _new_stream(self) -> RtpStream:
        return RtpStream(self.options.host, self.media_host, self.media_clock)

    def _on_invite(self, call: ServerCall) -> None:
        from alur.flow.interpreter import NoFlowForNumber

        if len(self.channels) >= self.options.max_calls:
            call.reject(503, headers={"Retry-After": str(self.options.retry_after)})
            return
        if self.echo.dialled(call.dialed):
            self._echo(call)
            return
        feature = self.supervision.feature(call.dialed)
        if feature is not None:
            self._supervise(call, *feature)
            return
        try:
            self.runner.flow_for(call.dialed)
        except NoFlowForNumber as exc:
            log.info("call to %r: %s", call.dialed, exc.message)
            call.reject(404, f"Not Found (no flow for {call.dialed!r})")
            return
        if not call.invite.body.strip():
            params = None  # delayed offer: we offer in the 200, the answer comes in the ACK
        else:
            try:
                params = answer_params(call.invite.text)
            except SdpError as exc:
                log.info("call %s: %s", call.call_id, exc.message)
                call.reject(488, headers={"Warning": f'304 alur "{exc.message[:100]}"'})
                return
        task = self.center.spawn(self._run_call(call, params), f"call {call.call_id}")
        self._calls.add(task)
        task.add_done_callback(self._calls.discard)

    def _supervise(self, call: ServerCall, mode: str, extension: str) -> None:
        user = call.caller
        refused = self.supervision.refusal(user, self.registrar.lookup(user) is not None, extension)
        if refused is not None:
            log.info("supervisor %s dialled %s: %s", user, call.dialed, refused[1])
            call.reject(*refused)
            return
        params = self._offered_media(call)
        if params is not None:
            self.center.spawn(
                self.supervision.serve(call, params, mode, extension, self.media_host),
                f"supervise {call.call_id}",
            )

    def _echo(self, call: ServerCall) -> None:
        params = self._offered_media(call)
        if params is not None:
            log.info("echo test call from %s", call.caller)
            self.center.spawn(self.echo.serve(call, params, self.media_host), f"echo {call.call_id}")

    @staticmethod
    def _offered_media(call: ServerCall) -> Any:
        """The media to answer a feature call with, or None after rejecting an offer we cannot take."""
        try:
            return answer_params(call.invite.text)
        except SdpError as exc:
            call.reject(488, headers={"Warning": f'304 alur "{exc.message[:100]}"'})
            return None

    async def _run_call(self, call: ServerCall, params: Any) -> None:
        media = self._new_stream()
        port = await call.open_media(media)
        if port is None:
            return
        if call.state is not ServerLegState.EARLY:  # cancelled while we prepared
            media.close()
            return
        if params is not None:
            media.agree(params)
        channel = SipChannel(
            call,
            media,
            prompts=self.prompts,
            queues=self.queues,
            connector=self.connector,
            recordings_dir=self.options.recordings_dir or Path("recordings"),
            silence_timeout=self.options.silence_timeout,
            recognizer=self.recognizer,
        )
        self.channels[channel.call_id] = channel
        if params is not None:
            call.answer(build_answer(self.media_host, port, params))
        elif not await self._delayed_offer(call, channel, port):
            self.channels.pop(channel.call_id, None)
            return
        channel.start()
        try:
            result = await self.runner.run_call(channel)
            if result.error:  # also on the call's CallEnded event
                log.error(
                    "call %s: flow %s failed at node %s: %s",
                    call.call_id,
                    result.flow,
                    result.node,
                    result.error,
                )
        finally:
            if not channel.hung_up.is_set():
                await channel.hangup("normal")
            self.channels.pop(channel.call_id, None)
            self.on_call_finished(channel)

    async def _delayed_offer(self, call: ServerCall, channel: SipChannel, port: int) -> bool:
        """INVITE without SDP: offer in the 200 OK, take the answer from the ACK (RFC 3264)."""
        acked: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def on_ack(sdp: str) -> None:
            if not acked.done():
                acked.set_result(sdp)

        call.on_ack = on_ack
        call.answer(build_offer(self.media_host, port))
        try:
            p = answer_params(await channel.race(asyncio.wait_for(acked, 40)))
        except (SdpError, TimeoutError, CallerHungUp) as exc:
            log.info("call %s: no usable SDP answer in the ACK: %s", call.call_id, exc)
            await channel.hangup("no_media")
            return False
        channel.media.agree(p)
        return True
