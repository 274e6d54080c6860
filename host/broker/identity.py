"""Who is who on the broker (protocol.md Delivery 7): the client id is the user name.

Pads log in as their device id; each host instance has its own account named like
``host-1``, ``host-2``, … (its ``EVALPAD_INSTANCE``). Mosquitto enforces the client id
(``use_username_as_clientid``), so no account can take over another's session, and the
ACL gives host accounts their rights by this name. A device id may therefore never look
like a host account.
"""

from __future__ import annotations

import re

HOST_ACCOUNT_PREFIX = "host-"
# Same length and letters as a device id (protocol.topics), under the reserved prefix.
_HOST_ACCOUNT = re.compile(r"^host-[a-z0-9][a-z0-9-]{0,26}$")
HOST_ACCOUNT_FORM = "host-1, host-2, … ('host-' then up to 27 of a-z, 0-9 and '-')"


def is_host_account(name: str) -> bool:
    return bool(_HOST_ACCOUNT.match(name))


def reserved_for_hosts(device_id: str) -> bool:
    """A device id in the hosts' name space would share a client id with a host instance."""
    return device_id.startswith(HOST_ACCOUNT_PREFIX)
