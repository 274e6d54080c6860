"""The pad <-> host contract, version 1 (../shared/docs/protocol.md).

The only code that knows topic names and payload shapes. It runs unchanged on
MicroPython (the pads) and CPython (host, simulator, serial bridge), so it uses
nothing but ``json`` and builtins: no ``typing`` at run time, no dataclasses,
no ``re``.  Annotations are plain builtins, which MicroPython ignores.

Modules:
    spec      -- version, limits, every message kind and its fields (data only)
    errors    -- ProtocolError with a stable machine-readable code
    topics    -- topic names for a device, and parsing a topic back
    messages  -- build and parse events, state, will, ack and commands
    acks      -- seq sets <-> merged inclusive ranges
    serialwire-- the serial variant: one wrapped JSON message per line

``asyncapi.yaml`` beside them is the same contract as an AsyncAPI 3.0 document (for other
vendors' pads and for tooling); tests/protocol/test_asyncapi.py keeps it in step with spec.py.
"""

VERSION = 1
