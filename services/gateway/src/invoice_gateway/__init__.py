"""The gateway: the one HTTP entry point a frontend talks to."""
