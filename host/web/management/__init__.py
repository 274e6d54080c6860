"""管理科: the monthly report with its evidence and month close (``report``), the violation review
queue (``violations``, R6), waivers (``waivers``, R8), the volume import (``volume``, R3) and
charts (``charts``). Every change goes through the same domain functions as the REST API, so
each is audited with who, when and why (R12); the pages never edit a score."""
