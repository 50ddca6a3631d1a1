"""The gateway's connections to the outside: the backends over HTTP."""
