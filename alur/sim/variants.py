"""`--compare` variants: another project directory, or overrides of the project or the scenario.

    --compare ../support-v2                                  another project, same scenario
    --compare queues.support.strategy=round_robin            one queue's setting
    --compare "queues.*.strategy=skills"                     every queue
    --compare agents.ann.skills.billing=8                    one agent
    --compare "rosters.day.count=14; patience.mean=90"       scenario edits (several, split by ';')
    --compare "rosters.day.count=14 as day14"                 ... named 'day14' in tables and files

Every variant runs on the same traffic (same seed, common random numbers), so differences come from
the change, not from luck.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from alur.config.project import Project, load_project
from alur.routing.model import AgentConfig, QueueConfig
from alur.sim.scenario import Scenario, ScenarioError, apply_override, load_scenario, parse_value

SCENARIO_KEYS = frozenset(Scenario.model_fields) | {"scenario"}


@dataclass(slots=True)
class Variant:
    label: str
    project: Project
    scenario: Scenario


class VariantError(ScenarioError):
    code = "bad_variant"


def build_variants(project_dir: Path, scenario_path: Path, compare: list[str]) -> list[Variant]:
    """The base run plus one variant per `--compare` value, each fully validated before anything runs."""
    base_project = load_project(project_dir)
    base = Variant("base" if compare else base_project.name, base_project, load_scenario(scenario_path))
    out = [base]
    for spec in compare:
        spec, label = split_label(spec.strip())
        if not spec:
            raise VariantError("--compare needs a project directory or key=value overrides")
        if "=" not in spec:
            path = Path(spec)
            if not path.is_dir():
                raise VariantError(
                    f"--compare {spec!r}: not a project directory, and not an override like "
                    "queues.support.strategy=skills"
                )
            out.append(Variant(label or path.name or spec, load_project(path), base.scenario))
            continue
        edits = [e.strip() for e in spec.split(";") if e.strip()]
        scenario_edits = [
            e.removeprefix("scenario.") for e in edits if e.split(".", 1)[0].split("=")[0] in SCENARIO_KEYS
        ]
        project_edits = [
            e for e in edits if e not in scenario_edits and e.removeprefix("scenario.") not in scenario_edits
        ]
        scenario = load_scenario(scenario_path, scenario_edits) if scenario_edits else base.scenario
        project = apply_project_overrides(base_project, project_edits)
        out.append(Variant(label or spec, project, scenario))
    return out


def split_label(spec: str) -> tuple[str, str | None]:
    """'rosters.tech.count=8 as tech8' -> ('rosters.tech.count=8', 'tech8'): a short name for the tables."""
    head, sep, label = spec.rpartition(" as ")
    if sep and head.strip() and re.fullmatch(r"[\w.+-]+", label.strip()):
        return head.strip(), label.strip()
    return spec, None


def apply_project_overrides(project: Project, edits: list[str]) -> Project:
    if not edits:
        return project
    queues = dict(project.queues)
    agents = dict(project.agents)
    for edit in edits:
        key, _, value = edit.partition("=")
        parts = key.strip().split(".")
        if len(parts) < 3 or parts[0] not in ("queues", "agents"):
            raise VariantError(
                f"override {edit!r}: use queues.<queue>.<setting>=value, agents.<agent>.<setting>=value, "
                f"or a scenario key ({', '.join(sorted(SCENARIO_KEYS - {'scenario'}))})"
            )
        table: dict[str, Any] = queues if parts[0] == "queues" else agents
        model = QueueConfig if parts[0] == "queues" else AgentConfig
        names = list(table) if parts[1] == "*" else [parts[1]]
        for name in names:
            if name not in table:
                raise VariantError(f"override {edit!r}: no {parts[0][:-1]} {name!r} (have {sorted(table)})")
            raw = table[name].model_dump(mode="json")
            apply_override(raw, f"{'.'.join(parts[2:])}={value}")
            try:
                table[name] = model.model_validate(raw)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise VariantError(f"override {edit!r}: {where}: {first['msg']}") from None
    return dataclasses.replace(project, queues=queues, agents=agents)


__all__ = ["Variant", "VariantError", "build_variants", "parse_value"]
