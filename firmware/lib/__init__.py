"""Third-party code vendored for the pad (see each file's header)."""
