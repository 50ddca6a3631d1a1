"""What an acceptable invoice upload is, independent of HTTP, the bus and the object store."""
