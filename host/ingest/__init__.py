"""Ingest: every pad message from the broker into the database, exactly once (protocol.md "Delivery").

A pipeline, not a callback (architecture.md): the MQTT client (``mqtt``) only enqueues what
it receives into a bounded ``inbox``; one ``writer`` thread takes batches, validates them,
stores events (unique ``(device_id, seq)``) and liveness facts (``liveness``) in one
commit, and only then publishes the ack ranges to the pads and PUBACKs the broker
(manual acknowledgement), so a crash at any moment loses nothing and stores nothing twice.
``replay`` stores what was held back for an unknown or unassigned pad once it is placed.
"""
