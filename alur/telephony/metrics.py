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
