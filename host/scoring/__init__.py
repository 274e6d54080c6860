"""Scoring on the database: facts and decisions in, the pure rules (host.rules) applied, reports out.

``report.month_view`` / ``report.month_report`` (R2-R5, R8-R10), ``months`` (close and reopen,
R11), ``periods`` (quarters and years with rankings), ``serialize`` (JSON for the API, CLI and
the closed-month snapshot). The calendar and rule settings it judges by: ``host.calendar``.
"""
