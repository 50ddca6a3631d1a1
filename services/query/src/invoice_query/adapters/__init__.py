"""PostgreSQL (read model, migrations) and NATS JetStream (the projection's consumer)."""
