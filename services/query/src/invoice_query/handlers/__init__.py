"""Use cases: projecting one delivered event, reading pages and details for a user."""
