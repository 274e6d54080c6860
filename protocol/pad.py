"""The pad's own messages: events, its state, its will -- built, not parsed.

A pad builds these from its own code, so their types, field names and enums are right by
construction, and the tests hold every event and state the firmware makes to the host's full
check (``protocol.messages``).  What can still be wrong comes from outside the code -- a
host's string, an exception's text, a release's name -- and ``plain`` refuses it: text a
host could not store or show (NUL, lone surrogates, more than MAX_STR characters), integers
beyond 2^53; ``fields.encode`` refuses a message over the size limit.  So a pad never sends
what a host would refuse, without carrying the host's tables of every message.

What a pad receives (acks, commands) comes from outside: ``to_pad`` checks it in full.
"""

from protocol.fields import bad, is_int, is_text
from protocol.wire import MAX_STR, VERSION


def plain(msg: dict) -> dict:
    """``msg`` if every value is one a host stores as it is (see the module doc); else
    ProtocolError (bad_field) naming the field."""
    for name in msg:
        x = msg[name]
        t = type(x)
        if t is str:
            if len(x) > MAX_STR or not is_text(x):
                raise bad(name, "a string of at most {} characters, without NUL or lone "
                          "surrogates".format(MAX_STR), x)
        elif t is int:
            if not is_int(x):
                raise bad(name, "an integer from -(2^53-1) to 2^53-1", x)
        elif t is list:
            for item in x:
                plain({name: item})
    return msg


def event(dev: str, seq: int, boot: int, up: int, ts: object, type: str, fields: dict) -> dict:
    """An event of this pad: the envelope, then the type's own ``fields``."""
    msg = {"v": VERSION, "dev": dev, "seq": seq, "boot": boot, "up": up, "ts": ts, "type": type}
    msg.update(fields)
    return plain(msg)


def state(dev: str, mode: str, fields: dict) -> dict:
    """The retained state of a pad that is on (birth, mode change, heartbeat)."""
    msg = {"v": VERSION, "dev": dev, "online": True, "mode": mode}
    msg.update(fields)
    return plain(msg)


def will(dev: str) -> dict:
    """The will message the broker publishes when the pad's connection dies."""
    return {"v": VERSION, "dev": dev, "online": False}


def power_off(dev: str) -> dict:
    """What a pad publishes itself before a graceful switch-off."""
    return {"v": VERSION, "dev": dev, "online": False, "reason": "power_off"}
