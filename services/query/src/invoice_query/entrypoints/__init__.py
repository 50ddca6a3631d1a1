"""Where the outside comes in: HTTP routes, the bus consumer, the command line."""
