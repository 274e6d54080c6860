"""好差评 (issue 16): bad-review cases (``cases``), live alerts (``alerts``), the webhook
(``webhook``) and the watch that runs them beside the ingest (``watch``)."""
