"""Queue and agent configuration as users write it in YAML."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from alur.core.errors import ConfigError
from alur.routing import AgentConfig, QueueConfig, Schedule, check_references

T0 = 1_767_225_600.0  # Thursday 2026-01-01 00:00 UTC


def test_defaults_and_shorthands() -> None:
    q = QueueConfig.model_validate({"name": "billing"})
    assert (q.strategy, q.ring_timeout, q.service_level.percent, q.service_level.seconds) == (
        "longest_idle",
        20.0,
        80.0,
        20.0,
    )
    a = AgentConfig.model_validate(
        {
            "id": "ana",
            "languages": ["en", "id"],
            "queues": ["billing", {"queue": "sales", "penalty": 2, "level": 8}],
        }
    )
    assert a.languages == {"en": 10, "id": 10}
    assert [(m.queue, m.level, m.penalty) for m in a.queues] == [("billing", 5, 0), ("sales", 8, 2)]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"name": "q", "ring_timout": 5}, "ring_timout"),
        ({"name": "q", "strategy": "roundrobin"}, "unknown strategy 'roundrobin'"),
        ({"name": "q", "required_skills": {"billing": 11}}, "'billing' must be 1..10"),
        ({"name": "q", "escalation": [{"after": 60, "action": "overflow"}]}, "needs 'target'"),
        ({"name": "q", "escalation": [{"after": 60, "action": "add_groups"}]}, "needs 'groups"),
        (
            {
                "name": "q",
                "escalation": [
                    {"after": 60, "action": "raise_priority"},
                    {"after": 30, "action": "raise_priority"},
                ],
            },
            "in order of 'after'",
        ),
        ({"name": "bad name"}, "name"),
    ],
)
def test_queue_mistakes_are_named(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        QueueConfig.model_validate(data)
    assert needle in str(err.value)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"id": "a", "schedule": {"timezone": "Mars/Olympus"}}, "unknown time zone 'Mars/Olympus'"),
        (
            {"id": "a", "schedule": {"shifts": [{"days": ["funday"], "start": "09:00", "end": "17:00"}]}},
            "unknown day 'funday'",
        ),
        ({"id": "a", "sip_uri": "alice@example.org"}, "sip_uri must start with"),
        ({"id": "a", "queues": ["q", "q"]}, "more than once"),
        ({"id": "a", "skills": {"x": 0}}, "must be 1..10"),
    ],
)
def test_agent_mistakes_are_named(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ValidationError) as err:
        AgentConfig.model_validate(data)
    assert needle in str(err.value)


def test_shifts_in_the_agents_time_zone_including_overnight_and_weekdays() -> None:
    jakarta = Schedule.model_validate(
        {
            "timezone": "Asia/Jakarta",
            "shifts": [{"days": "mon,tue,wed,thu,fri", "start": "08:00", "end": "17:00"}],
        }
    )
    assert not jakarta.on_shift(T0)  # 07:00 Thursday in Jakarta
    assert jakarta.on_shift(T0 + 3600)  # 08:00
    assert not jakarta.on_shift(T0 + 10 * 3600)  # 17:00: the end is exclusive
    assert not jakarta.on_shift(T0 + 2 * 86400 + 3 * 3600)  # Saturday 10:00
    night = Schedule.model_validate(
        {"timezone": "America/New_York", "shifts": [{"days": ["wed"], "start": "22:00", "end": "06:00"}]}
    )
    assert not night.on_shift(T0)  # 19:00 Wednesday in New York
    assert night.on_shift(T0 + 4 * 3600)  # 23:00 Wednesday
    assert night.on_shift(T0 + 10 * 3600)  # 05:00 Thursday: the Wednesday shift runs on
    assert not night.on_shift(T0 + 11 * 3600)  # 06:00 Thursday
    assert Schedule().on_shift(T0)  # no shifts: always available


def test_cross_file_references() -> None:
    queues = [
        QueueConfig(name="billing"),
        QueueConfig.model_validate(
            {"name": "sales", "escalation": [{"after": 30, "action": "move_queue", "target": "billing"}]}
        ),
    ]
    check_references(queues, [AgentConfig.model_validate({"id": "a", "queues": ["billing"]})])
    with pytest.raises(ConfigError) as err:
        check_references(queues, [AgentConfig.model_validate({"id": "a", "queues": ["biling"]})])
    assert err.value.code == "unknown_queue" and "'biling'" in str(err.value)
    bad = QueueConfig.model_validate(
        {"name": "x", "escalation": [{"after": 1, "action": "move_queue", "target": "nowhere"}]}
    )
    with pytest.raises(ConfigError) as moved:
        check_references([bad], [])
    assert "'nowhere'" in str(moved.value) and "step 1" in str(moved.value)
    with pytest.raises(ConfigError) as dup:
        check_references(queues, [AgentConfig(id="a"), AgentConfig(id="a")])
    assert dup.value.code == "duplicate_name"
    with pytest.raises(ConfigError) as ext:
        check_references(queues, [AgentConfig(id="a", extension="201"), AgentConfig(id="b", extension="201")])
    assert ext.value.code == "duplicate_extension" and ext.value.value == "201"


def test_strategy_options_are_checked_with_the_queue() -> None:
    with pytest.raises(ValidationError) as err:
        QueueConfig.model_validate(
            {"name": "q", "strategy": "percentage", "strategy_options": {"shares": {}}}
        )
    assert "shares" in str(err.value)
    with pytest.raises(ValidationError) as typo:
        QueueConfig.model_validate(
            {"name": "q", "strategy": "fixed_order", "strategy_options": {"oder": ["a"]}}
        )
    assert "'oder'" in str(typo.value) and "allowed: ['order']" in str(typo.value)


def test_a_queue_no_agent_can_serve_is_reported() -> None:
    queue = QueueConfig.model_validate({"name": "billing", "required_skills": {"sales": 4}})
    agent = AgentConfig.model_validate(
        {"id": "a", "queues": ["billing"], "skills": {"billing": 9, "sales": 2}}
    )
    with pytest.raises(ConfigError) as err:
        check_references([queue], [agent])
    assert err.value.code == "unreachable_skill"
    assert "queue 'billing' needs skill 'sales' at level 4" in str(err.value) and "best level 2" in str(
        err.value
    )
    widened = QueueConfig.model_validate(
        {
            "name": "billing",
            "required_skills": {"sales": 4},
            "escalation": [{"after": 60, "action": "widen_skill_level", "by": 2}],
        }
    )
    check_references([widened], [agent])  # the ladder makes it reachable
