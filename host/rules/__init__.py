"""The center's rules (../shared/docs/rules.md, R1-R12) as plain functions over facts.

Pure modules (no database): ``calendar`` (working days, R5), ``sessions`` (working
sessions of a window on a day, R5), ``closures`` (always-on, R5), ``violations``
(candidates, R6), ``standard`` (R3, R4), ``score`` (R2, R8, R9). The database layer
feeds them facts and stores what they return; nobody edits a derived number (R12).
Shared value types live in ``types``.
"""
