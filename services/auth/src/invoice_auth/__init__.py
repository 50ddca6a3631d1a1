"""The auth service: accounts, refresh sessions, per-user settings and signing keys."""
