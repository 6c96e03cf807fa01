"""The `server:` section of alur.yaml and phones.yaml: mistakes are errors naming the key and value."""

from __future__ import annotations

from pathlib import Path

import pytest

from alur.core.errors import AlurError
from alur.telephony.options import ServerOptions, read_phones


def test_defaults_and_values(tmp_path: Path) -> None:
    (tmp_path / "phones.yaml").write_text('"201": s3cret\nsinta: other\n')
    opts = ServerOptions.from_settings(
        {"sip_port": 5080, "trunk": "sip:gw.example.net", "silence_timeout": 20}, tmp_path
    )
    assert (opts.host, opts.port, opts.tcp, opts.silence_timeout) == ("127.0.0.1", 5080, True, 20.0)
    assert opts.phones == {"201": "s3cret", "sinta": "other"}
    assert opts.recordings_dir == tmp_path / "recordings"


def test_feature_codes_default_and_turned_off(tmp_path: Path) -> None:
    assert ServerOptions.from_settings({}, tmp_path).features["echo"] == "*43"
    opts = ServerOptions.from_settings({"features": {"echo": None, "monitor": "*61"}}, tmp_path)
    assert (opts.features["echo"], opts.features["monitor"], opts.features["barge"]) == ("", "*61", "*53")


def test_overload_limits_reach_overload_control(tmp_path: Path) -> None:
    limits = {"max_loop_lag_ms": 40, "max_sip_backlog_kb": 64, "max_cpu_percent": 75}
    guard = ServerOptions.from_settings(limits, tmp_path).overload_guard()
    assert (guard.max_loop_lag, guard.max_sip_backlog, guard.max_cpu) == (0.04, 64 * 1024, 0.75)


@pytest.mark.parametrize(
    ("server", "words"),
    [
        ({"sip_prot": 5060}, "unknown key(s) in 'server': ['sip_prot']"),
        ({"sip_port": "abc"}, "server.sip_port must be a number >= 0 (got 'abc')"),
        ({"silence_timeout": 0}, "server.silence_timeout must be a number >= 1"),
        ({"trunk": "10.0.0.1"}, "server.trunk must be a SIP URI"),
        ({"phones": ["201"]}, "server.phones must map"),
        ({"features": {"echo": "echo"}}, "server.features.echo must be digits, * and #"),
        ({"features": {"echo": "*51"}}, "server.features gives two features the same code"),
        ({"features": {"ecco": "*43"}}, "server.features maps"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, server: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(AlurError) as err:
        ServerOptions.from_settings(server, tmp_path)
    assert words in err.value.message


def test_bad_phones_file(tmp_path: Path) -> None:
    bad = tmp_path / "phones.yaml"
    bad.write_text("- 201\n- 202\n")
    with pytest.raises(AlurError, match="expected a mapping of extension"):
        read_phones(bad)
    with pytest.raises(AlurError, match="does not exist"):
        read_phones(tmp_path / "missing.yaml")
