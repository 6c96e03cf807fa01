"""KPIs derived only from the event log; the wallboard, reports and the simulator share this fold."""

from alur.metrics.kpis import AgentTally, KpiFold, Snapshot, Tally, kpis_of

__all__ = ["AgentTally", "KpiFold", "Snapshot", "Tally", "kpis_of"]
