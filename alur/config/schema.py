"""JSON Schema of flow files, for editors (autocompletion and checks while typing YAML).

The schema describes the shape only; `alur validate` remains the authority (targets, loops, queues,
expressions are checked there).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alur.flow.model import NODE_ID
from alur.flow.nodes import Node


class _FlowSchema(BaseModel):
    """An Alur call flow: named nodes, entered at `start`."""

    model_config = ConfigDict(extra="forbid", title="Alur flow")
    flow: str = Field(pattern=NODE_ID, description="the flow's name")
    version: int | str = 1
    description: str = ""
    language: str = Field("en", description="the call's language until a node changes it")
    start: str = Field(description="the first node")
    nodes: dict[str, Node]


def flow_json_schema() -> dict[str, Any]:
    schema = _FlowSchema.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
