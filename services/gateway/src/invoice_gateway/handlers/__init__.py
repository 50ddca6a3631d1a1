"""The gateway's use cases: forwarding a request, describing the API."""
