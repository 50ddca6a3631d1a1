"""What the gateway decides without I/O: routes, forwarded headers, the merged API description."""
