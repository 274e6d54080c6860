"""Prometheus metrics of the ingest and rollouts; the API serves them at ``/metrics`` (host.api.routes.ops).

They live in prometheus-client's default registry (``REGISTRY``), beside the process
metrics, which is what the API's ``/metrics`` serves. Defined once at import, so several
ingest pipelines in one process (tests) share them.
"""

from __future__ import annotations

from prometheus_client import REGISTRY, Counter, Gauge, Histogram

__all__ = ["REGISTRY"]

EVENTS_INGESTED = Counter(
    "evalpad_events_ingested", "Events taken from pads, by result: stored (new) or duplicate "
    "(stored before, acknowledged again).", ["result"], registry=REGISTRY)
MESSAGES_REJECTED = Counter(
    "evalpad_messages_rejected", "Messages refused or held back, by reason code (protocol.errors "
    "codes, unknown_device, unassigned, ...).", ["code"], registry=REGISTRY)
ACK_LATENCY = Histogram(
    "evalpad_ack_latency_seconds", "From a message's receipt to its ack being published after commit.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=REGISTRY)
WRITE_QUEUE_DEPTH = Gauge(
    "evalpad_write_queue_depth", "Messages received and waiting for the writer.", registry=REGISTRY)
PADS_ONLINE = Gauge("evalpad_pads_online", "Pads whose power state is on.", registry=REGISTRY)
BATCH_COMMIT = Histogram(
    "evalpad_batch_commit_seconds", "Time to process and commit one batch.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5), registry=REGISTRY)

PAD_UPDATE = Gauge(
    "evalpad_pad_update", "Each pad's part in the newest rollout (1 for its current state: waiting, sent, "
    "ok, failed, skipped); host.releases.rollout.", ["device", "release", "state"], registry=REGISTRY)

