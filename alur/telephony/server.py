"""The live SIP server: one process answering calls with a project's flows and routing its queues.

Wiring only: transports -> transaction stack -> user agent; each answered call gets an RTP stream and a
`SipChannel`, and the flow interpreter runs on it; the routing engine's offers ring agents' phones
through `LiveQueues`. Events go to the injected `emit` (the event log).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
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
from alur.telephony.channel import SipChannel
from alur.telephony.connect import Connector, Target
from alur.telephony.live import LiveQueues
from alur.telephony.overload import OverloadGuard
from alur.telephony.recording import Recordings
from alur.telephony.sip.legs import ServerLegState
from alur.telephony.sip.message import parse_uri
from alur.telephony.sip.registrar import Binding, Registrar
from alur.telephony.sip.sdp import SdpError, answer_params, build_answer, build_offer
from alur.telephony.sip.stack import SipStack
from alur.telephony.sip.transport import SipTransports
from alur.telephony.sip.ua import ServerCall, UserAgent
from alur.telephony.supervision import DEFAULT_FEATURES, Supervision

log = logging.getLogger("alur.server")


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 5060
    tcp: bool = True
    media_host: str | None = None  # the address put in SDP; defaults to `host`
    trunk: str | None = None  # SIP URI of the gateway for external numbers, e.g. sip:gw.example.com:5060
    trunk_user: str | None = None  # digest credentials when the trunk challenges INVITEs (401/407)
    trunk_password: str | None = None
    silence_timeout: float = 60.0
    max_calls: int = 1000
    max_pending_invites: int = 200
    phones: dict[str, str] = field(default_factory=dict)  # SIP user (extension/agent id) -> password
    recordings_dir: Path | None = None
    cache_dir: Path | None = None
    max_loop_lag: float = 0.1  # seconds of event-loop lag past which new INVITEs get 503
    max_sip_backlog: int = 512 * 1024  # bytes waiting at the SIP socket past which likewise
    max_cpu: float = 0.9  # share of one core past which likewise
    retry_after: int = 5  # seconds, in those 503s
    supervisors: set[str] = field(default_factory=set)  # SIP users allowed to monitor/whisper/barge
    features: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FEATURES))

    @classmethod
    def from_settings(cls, server: dict[str, Any], root: Path) -> ServerOptions:
        """Read the `server:` section of alur.yaml (unknown keys are an error naming the key)."""
        opts = cls()
        known = {
            "sip_host",
            "sip_port",
            "tcp",
            "media_host",
            "trunk",
            "trunk_user",
            "trunk_password_env",
            "silence_timeout",
            "max_calls",
            "phones",
            "recordings_dir",
            "cache_dir",
            "http_host",
            "http_port",
            "database",
            "speech",
            "max_loop_lag_ms",
            "max_sip_backlog_kb",
            "retry_after",
            "max_cpu_percent",
            "supervisors",
            "features",
        }
        unknown = sorted(set(server) - known)
        if unknown:
            raise AlurError(
                f"alur.yaml: unknown key(s) in 'server': {unknown} (known: {sorted(known)})",
                code="config_error",
                value=unknown,
            )

        def number(key: str, kind: type, default: float, low: float) -> Any:
            value = server.get(key, default)
            try:
                out = kind(value)
            except (TypeError, ValueError):
                out = None
            if out is None or isinstance(value, bool) or out < low:
                raise AlurError(
                    f"alur.yaml: server.{key} must be a number >= {low} (got {value!r})",
                    code="config_error",
                    value=value,
                )
            return out

        opts.host = str(server.get("sip_host", opts.host))
        opts.port = number("sip_port", int, opts.port, 0)
        opts.tcp = bool(server.get("tcp", True))
        opts.media_host = server.get("media_host")
        opts.trunk = server.get("trunk")
        if opts.trunk is not None and not str(opts.trunk).lower().startswith(("sip:", "sips:")):
            raise AlurError(
                f"alur.yaml: server.trunk must be a SIP URI such as 'sip:gateway.example.net:5060' "
                f"(got {opts.trunk!r})",
                code="config_error",
                value=opts.trunk,
            )
        opts.trunk_user = server.get("trunk_user")
        env_name = server.get("trunk_password_env")
        if env_name is not None:
            import os

            if str(env_name) not in os.environ:
                raise AlurError(
                    f"alur.yaml: server.trunk_password_env names ${env_name}, which is not set",
                    code="config_error",
                    value=env_name,
                )
            opts.trunk_password = os.environ[str(env_name)]
        opts.silence_timeout = number("silence_timeout", float, opts.silence_timeout, 1)
        opts.max_calls = number("max_calls", int, opts.max_calls, 1)
        phones = server.get("phones") or {}
        if not isinstance(phones, dict):
            raise AlurError(
                "alur.yaml: server.phones must map extension (or agent id) to password",
                code="config_error",
                value=phones,
            )
        opts.phones = {str(k): str(v) for k, v in phones.items()}
        opts.phones.update(read_phones(root / "phones.yaml", missing_ok=True))
        opts.max_loop_lag = number("max_loop_lag_ms", float, opts.max_loop_lag * 1000, 1) / 1000
        opts.max_sip_backlog = int(number("max_sip_backlog_kb", float, opts.max_sip_backlog / 1024, 1) * 1024)
        opts.retry_after = number("retry_after", int, opts.retry_after, 1)
        opts.max_cpu = number("max_cpu_percent", float, opts.max_cpu * 100, 1) / 100
        opts.supervisors = {str(s) for s in server.get("supervisors") or []}
        features = server.get("features") or {}
        if not isinstance(features, dict) or set(features) - set(DEFAULT_FEATURES):
            raise AlurError(
                f"alur.yaml: server.features maps {sorted(DEFAULT_FEATURES)} to dial codes "
                f"(got {features!r})",
                code="config_error",
                value=features,
            )
        opts.features.update({k: str(v) for k, v in features.items()})
        opts.recordings_dir = root / str(server.get("recordings_dir", "recordings"))
        opts.cache_dir = Path(server["cache_dir"]) if "cache_dir" in server else default_cache_dir()
        return opts


def local_address() -> str:
    """This machine's address on its default route (what to announce when listening on 0.0.0.0);
    a UDP connect sends nothing."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            return str(s.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def default_cache_dir() -> Path:
    """Converted prompts and synthesised speech: $XDG_CACHE_HOME/alur (not inside the project)."""
    import os

    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "alur" / "prompts"


def read_phones(path: Path, *, missing_ok: bool = False) -> dict[str, str]:
    """SIP passwords of agents' phones: a YAML mapping `extension or agent id: password`."""
    if not path.exists():
        if missing_ok:
            return {}
        raise AlurError(f"phones file {str(path)!r} does not exist", code="config_error", value=str(path))
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(path.read_text())
    except YAMLError as exc:
        raise AlurError(f"{path}: not valid YAML: {exc}", code="config_error", value=str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, (str, int)) for v in data.values()):
        raise AlurError(
            f"{path}: expected a mapping of extension (or agent id) to password, e.g. '201: s3cret'",
            code="config_error",
            value=str(path),
        )
    return {str(k): str(v) for k, v in data.items()}


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
        self.overload = OverloadGuard(
            max_loop_lag=options.max_loop_lag, max_sip_backlog=options.max_sip_backlog
        )

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
            self.connector.talks,  # type: ignore[arg-type]
            features=opts.features,
            supervisors=opts.supervisors,
            agent_for_extension=self._agent_id_for_user,
            new_stream=lambda: RtpStream(opts.host, self.media_host, self.media_clock),
        )
        await self.transports.start(opts.host, opts.port, tcp=opts.tcp)
        self.overload.start(self.transports.udp_socket)
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

    def _on_invite(self, call: ServerCall) -> None:
        from alur.flow.interpreter import NoFlowForNumber

        if len(self.channels) >= self.options.max_calls:
            call.reject(503, headers={"Retry-After": str(self.options.retry_after)})
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
        try:
            params = answer_params(call.invite.text)
        except SdpError as exc:
            call.reject(488, headers={"Warning": f'304 alur "{exc.message[:100]}"'})
            return
        self.center.spawn(
            self.supervision.serve(call, params, mode, extension, self.media_host),
            f"supervise {call.call_id}",
        )

    async def _run_call(self, call: ServerCall, params: Any) -> None:
        media = RtpStream(self.options.host, self.media_host, self.media_clock)
        try:
            port = await media.open()
        except OSError as exc:
            log.error("call %s: no RTP port: %s", call.call_id, exc)
            call.reject(503)
            return
        if call.state is not ServerLegState.EARLY:  # cancelled while we prepared
            media.close()
            return
        if params is not None:
            media.configure(
                (params.remote_host, params.remote_port),
                params.codec,
                params.payload_type,
                params.dtmf_payload_type,
            )
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
        channel.media.configure((p.remote_host, p.remote_port), p.codec, p.payload_type, p.dtmf_payload_type)
        return True
