"""The SIP adapter's figures for Prometheus: read from the stack and the calls at scrape time.

The contact center keeps a list of collectors from its adapters (`center.collectors`); the HTTP API's
/metrics serves them beside its own, so the API needs no knowledge of SIP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric


class SipCollector:
    def __init__(self, server: Any) -> None:
        self.server = server  # the SipServer

    def collect(self) -> Iterator[Metric]:
        stack, stats = self.server.stack, self.server.stack.stats
        yield GaugeMetricFamily(
            "alur_calls_in_progress", "Calls on the SIP server (in the flow, waiting or talking)",
            value=len(self.server.channels),
        )  # fmt: skip
        transactions = CounterMetricFamily(
            "alur_sip_transactions", "SIP transactions started", labels=["side"]
        )
        transactions.add_metric(["server"], stats.server_transactions)
        transactions.add_metric(["client"], stats.client_transactions)
        yield transactions
        live = GaugeMetricFamily(
            "alur_sip_transactions_live", "SIP transactions not yet ended", labels=["side"]
        )
        live.add_metric(["server"], len(stack.server_txns))
        live.add_metric(["client"], len(stack.client_txns))
        yield live
        yield CounterMetricFamily("alur_sip_messages_received", "SIP messages received", value=stats.received)
        yield CounterMetricFamily(
            "alur_sip_malformed", "SIP messages refused as malformed", value=stats.malformed
        )
        yield CounterMetricFamily(
            "alur_sip_retransmissions_absorbed", "Retransmitted requests answered from their transaction",
            value=stats.retransmissions_absorbed,
        )  # fmt: skip
        yield CounterMetricFamily(
            "alur_sip_rejected_overload",
            "INVITEs refused with 503 under overload",
            value=stats.rejected_overload,
        )
        yield from self._overload()
        yield from self._media_clock()

    def _overload(self) -> Iterator[Metric]:
        """What overload control decides on: the loop's lag, the SIP socket's backlog, CPU."""
        figures = self.server.overload.figures()
        gauges = {
            "alur_loop_lag_seconds": ("Event-loop lag (decaying maximum)", "loop_lag"),
            "alur_loop_lag_max_seconds": ("Worst event-loop lag since start", "loop_lag_max"),
            "alur_sip_backlog_bytes": ("Bytes waiting in the SIP socket at the last INVITE", "sip_backlog"),
            "alur_sip_backlog_max_bytes": ("Largest SIP socket backlog seen", "sip_backlog_max"),
            "alur_process_cpu_ratio": ("Share of one core the server used lately", "cpu"),
            "alur_overloaded": ("1 while new INVITEs are refused", "overloaded"),
        }
        for name, (text, key) in gauges.items():
            yield GaugeMetricFamily(name, text, value=float(figures[key]))
        refused = CounterMetricFamily(
            "alur_invites_refused",
            "INVITEs refused with 503, by the measure past its limit",
            labels=["reason"],
        )
        for reason in ("loop_lag", "sip_backlog", "cpu"):
            refused.add_metric([reason], figures[f"refused_{reason}"])
        refused.add_metric(["pending_invites"], self.server.stack.stats.rejected_pending)
        yield refused
        yield CounterMetricFamily(
            "alur_sip_kernel_drops", "Datagrams the kernel dropped at the SIP socket",
            value=figures["sip_drops"],
        )  # fmt: skip

    def _media_clock(self) -> Iterator[Metric]:
        """How punctually the shared 20 ms clock sends every call's audio."""
        clock = self.server.media_clock.stats
        yield GaugeMetricFamily("alur_media_streams", "Streams the media clock sends", value=clock.streams)
        yield CounterMetricFamily("alur_media_ticks", "Media clock ticks", value=clock.ticks)
        yield CounterMetricFamily("alur_media_frames_sent", "Audio frames sent", value=clock.frames_sent)
        yield CounterMetricFamily(
            "alur_media_late_ticks", "Ticks more than 5 ms after their due time", value=clock.late_ticks
        )
        yield CounterMetricFamily(
            "alur_media_resyncs", "Stalls after which the clock restarted its schedule", value=clock.resyncs
        )
        yield GaugeMetricFamily(
            "alur_media_max_late_seconds", "Worst lateness of a media tick", value=clock.max_late
        )
