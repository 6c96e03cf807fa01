"""Queues and agents edited while the router runs: waiting calls and agents' states stay, the next
decisions follow the new settings, and the router's books (free agents, staffed counts) stay right."""

from __future__ import annotations

from conftest import Desk

from alur.routing import AgentConfig, QueueConfig


def test_an_available_agent_given_a_new_queue_takes_its_waiting_call_at_once() -> None:
    d = Desk(
        [{"name": "q"}, {"name": "vip"}],
        [{"id": "ayu", "queues": ["q"]}, {"id": "budi", "queues": ["q"]}],
    )
    assert d.call("v1", queue="vip") is None  # nobody serves vip yet
    assert d.router.queues["vip"].staffed == 0
    d.router.configure_agent(AgentConfig.model_validate({"id": "budi", "queues": ["q", "vip"]}))
    offer = d.offer_for("v1")
    assert offer.agent_id == "budi"
    assert (d.router.queues["vip"].staffed, d.router.queues["q"].staffed) == (1, 2)


def test_an_agent_taken_out_of_a_queue_gets_no_more_of_its_calls() -> None:
    d = Desk([{"name": "q"}, {"name": "vip"}], [{"id": "ayu", "queues": ["q", "vip"]}])
    d.router.configure_agent(AgentConfig.model_validate({"id": "ayu", "queues": ["q"]}))
    assert d.call("v1", queue="vip") is None
    assert d.router.queues["vip"].staffed == 0 and d.router.queues["vip"].members == []
    assert d.call("c1", queue="q") is not None  # still serves q
    assert d.router.agent_state("ayu") == "reserved"


def test_a_busy_agent_keeps_its_call_and_its_new_settings_count_after() -> None:
    d = Desk([{"name": "q"}, {"name": "vip"}], [{"id": "ayu", "queues": ["q"]}])
    d.call("c1")
    d.router.answer(d.offer_for("c1").reservation_id)
    d.router.configure_agent(AgentConfig.model_validate({"id": "ayu", "queues": ["q", "vip"]}))
    assert d.router.agent_state("ayu") == "busy" and d.router.agents["ayu"].call_id == "c1"
    assert d.call("v1", queue="vip") is None  # busy: no offer now
    d.router.talk_ended("c1")
    assert d.offer_for("v1").agent_id == "ayu"  # free again, under the new settings


def test_a_new_agent_is_added_offline() -> None:
    d = Desk([{"name": "q"}], [{"id": "ayu", "queues": ["q"]}])
    d.router.configure_agent(AgentConfig.model_validate({"id": "sari", "queues": ["q"]}))
    assert d.router.agent_state("sari") == "offline"
    d.router.login("sari")
    assert d.router.queues["q"].members == ["ayu", "sari"]


def test_a_queue_given_a_new_strategy_keeps_its_line_and_its_free_agents() -> None:
    agents = [{"id": a, "queues": ["q"]} for a in ("ayu", "budi", "sari")]
    d = Desk([{"name": "q", "strategy": "longest_idle"}], agents)
    d.router.configure_queue(
        QueueConfig.model_validate(
            {"name": "q", "strategy": "fixed_order", "strategy_options": {"order": ["sari", "budi", "ayu"]}}
        )
    )
    assert d.call("c1").agent_id == "sari"  # type: ignore[union-attr]
    assert d.call("c2").agent_id == "budi"  # type: ignore[union-attr]
    for call_id in ("c1", "c2"):
        d.router.answer(d.offer_for(call_id).reservation_id)
    d.router.pause("ayu")
    assert d.call("c3") is None
    d.router.configure_queue(QueueConfig.model_validate({"name": "q", "strategy": "longest_idle"}))
    assert d.router.queues["q"].line.calls[0].call_id == "c3"  # still waiting, first in line
    d.router.ready("ayu")
    assert d.offer_for("c3").agent_id == "ayu"


def test_new_skill_levels_and_penalties_reorder_the_free_agents_at_once() -> None:
    """The skills strategy keeps each agent's place (levels, penalty) between decisions; new
    settings must replace it, for an agent who stays free while they change."""
    agents = [
        {"id": "ayu", "queues": ["q"], "skills": {"billing": 3}},
        {"id": "budi", "queues": ["q"], "skills": {"billing": 5}},
    ]
    d = Desk([{"name": "q", "strategy": "skills"}], agents)

    def served(call_id: str) -> str:
        d.call(call_id, skills=(("billing", 1),))
        return d.take(call_id)

    assert served("c1") == "budi"  # places read: budi is the better match; free again after
    assert d.router.agent_state("budi") == "available"
    d.router.configure_agent(AgentConfig.model_validate({**agents[0], "skills": {"billing": 8}}))
    assert served("c2") == "ayu"
    penalised = {**agents[0], "queues": [{"queue": "q", "penalty": 5}], "skills": {"billing": 5}}
    d.router.configure_agent(AgentConfig.model_validate(penalised))
    assert served("c3") == "budi"  # the same levels now, and ayu's penalty puts her behind
