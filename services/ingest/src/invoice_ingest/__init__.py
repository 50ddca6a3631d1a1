"""Ingest: accepts invoice uploads, stores the files and appends InvoiceUploaded."""
