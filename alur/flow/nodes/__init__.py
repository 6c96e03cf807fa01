"""Node types by name: the one lookup table of the flow language (one module per type)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from alur.flow.model import NodeBase
from alur.flow.nodes.authenticate import AuthenticateNode
from alur.flow.nodes.branch import BranchNode
from alur.flow.nodes.collect import CollectNode
from alur.flow.nodes.deflect import DeflectNode
from alur.flow.nodes.goto_flow import GotoFlowNode
from alur.flow.nodes.hangup import HangupNode
from alur.flow.nodes.hours import HoursNode
from alur.flow.nodes.http import HttpNode
from alur.flow.nodes.menu import MenuNode
from alur.flow.nodes.play import PlayNode
from alur.flow.nodes.queue import QueueNode
from alur.flow.nodes.ring_group import RingGroupNode
from alur.flow.nodes.set import SetNode
from alur.flow.nodes.split import SplitNode
from alur.flow.nodes.survey import SurveyNode
from alur.flow.nodes.transfer import TransferNode
from alur.flow.nodes.voicemail import VoicemailNode

NODE_TYPES: dict[str, type[NodeBase]] = {
    "play": PlayNode,
    "menu": MenuNode,
    "collect": CollectNode,
    "authenticate": AuthenticateNode,
    "hours": HoursNode,
    "branch": BranchNode,
    "split": SplitNode,
    "set": SetNode,
    "http": HttpNode,
    "queue": QueueNode,
    "transfer": TransferNode,
    "ring_group": RingGroupNode,
    "voicemail": VoicemailNode,
    "survey": SurveyNode,
    "goto_flow": GotoFlowNode,
    "hangup": HangupNode,
    "deflect": DeflectNode,
}

#: the discriminated union, for JSON Schema and for validating a node whose type is known to be valid
Node = Annotated[
    PlayNode
    | MenuNode
    | CollectNode
    | AuthenticateNode
    | HoursNode
    | BranchNode
    | SplitNode
    | SetNode
    | HttpNode
    | QueueNode
    | TransferNode
    | RingGroupNode
    | VoicemailNode
    | DeflectNode
    | SurveyNode
    | GotoFlowNode
    | HangupNode,
    Field(discriminator="type"),
]

__all__ = [
    "NODE_TYPES",
    "Node",
    "AuthenticateNode",
    "BranchNode",
    "CollectNode",
    "GotoFlowNode",
    "HangupNode",
    "HoursNode",
    "HttpNode",
    "MenuNode",
    "PlayNode",
    "QueueNode",
    "RingGroupNode",
    "SetNode",
    "SplitNode",
    "SurveyNode",
    "TransferNode",
    "VoicemailNode",
    "DeflectNode",
]
