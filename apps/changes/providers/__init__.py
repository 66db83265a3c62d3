"""Readers for tools' native webhook bodies: each turns one delivery into a `ChangeData` (or `Ignored`)."""
