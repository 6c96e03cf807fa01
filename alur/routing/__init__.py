"""The ACD: which agent gets which waiting call. Pure: events and a clock in, decisions out.

Drivers (the live SIP server, the simulator) use it like this::

    router = Router.from_config(queues, agents, clock=clock, emit=log.append,
                                on_offer=ring_agent, on_cancel=stop_ringing, on_outcome=wait_ended)
    router.login("alice")
    router.enqueue("call-1", QueueRequest(queue="billing", language="en"))
    # on_offer(Offer(reservation_id, call_id, agent_id, queue, expires_at, ...)) -> ring the agent
    router.answer(offer.reservation_id)      # or router.decline(offer.reservation_id, "no_answer")
    # on_outcome("call-1", QueueOutcome("answered", agent_id="alice", wait=...)) -> bridge
    router.talk_ended("call-1")              # agent goes to wrap-up, then available again
    router.explain("call-1")                 # why: candidates, scores, rule, chosen agent

Every callback runs synchronously inside the call that caused it; a driver may call back into the
router from inside a callback (e.g. the simulator answering at once). See docs/routing.md.
"""

from alur.routing.agents import TRANSITIONS, Agent, AgentState, AgentStatus
from alur.routing.calls import Explanation, Offer, Ranked, WaitingCall
from alur.routing.engine import Router
from alur.routing.errors import RoutingError
from alur.routing.model import (
    AgentConfig,
    EscalationStep,
    QueueConfig,
    QueueMembership,
    RingNoAnswer,
    Schedule,
    ServiceLevel,
    Shift,
)
from alur.routing.queues import EWT_METHOD, QueueStats
from alur.routing.references import check_references
from alur.routing.strategies import STRATEGIES, Strategy, StrategyContext

__all__ = [
    "EWT_METHOD",
    "STRATEGIES",
    "TRANSITIONS",
    "Agent",
    "AgentConfig",
    "AgentState",
    "AgentStatus",
    "EscalationStep",
    "Explanation",
    "Offer",
    "QueueConfig",
    "QueueMembership",
    "QueueStats",
    "Ranked",
    "RingNoAnswer",
    "Router",
    "RoutingError",
    "Schedule",
    "ServiceLevel",
    "Shift",
    "Strategy",
    "StrategyContext",
    "WaitingCall",
    "check_references",
]
