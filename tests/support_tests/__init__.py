"""Self-tests of the real components in tests/support (no Django, no database)."""
