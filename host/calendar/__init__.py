"""The center's working calendar on the database (R5): the operator's calendar entries, summer
ranges, window hours and rule settings (``config``, audited, R12), and the working hours they
give each window (``hours``), for every part that asks "was this window open then?": the
monthly score, R6 detection, the fault log's silence check and update rollouts.

The pure rules underneath are ``host.rules.calendar`` and ``host.rules.sessions``.
"""
