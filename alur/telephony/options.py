"""The `server:` section of alur.yaml and the command line, read into `ServerOptions`; agents' SIP
passwords (phones.yaml); where converted prompts are cached. Every bad value is one line naming it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alur.core.errors import AlurError
from alur.telephony.overload import OverloadGuard
from alur.telephony.supervision import DEFAULT_FEATURES


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

    def overload_guard(self) -> OverloadGuard:
        """Overload control with this server's limits."""
        return OverloadGuard(
            max_loop_lag=self.max_loop_lag, max_sip_backlog=self.max_sip_backlog, max_cpu=self.max_cpu
        )

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
        opts.features.update({k: "" if v is None else str(v) for k, v in features.items()})
        for mode, code in opts.features.items():
            if not re.fullmatch(r"[0-9*#]*", code):
                raise AlurError(
                    f"alur.yaml: server.features.{mode} must be digits, * and # (or empty to turn it off), "
                    f"got {code!r}",
                    code="config_error",
                    value=code,
                )
        codes = [code for code in opts.features.values() if code]
        if len(set(codes)) < len(codes):
            raise AlurError(
                f"alur.yaml: server.features gives two features the same code ({opts.features})",
                code="config_error",
                value=opts.features,
            )
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
