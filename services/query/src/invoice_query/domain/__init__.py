"""Pure rules of the read model: the invoice record, how events change it, listing and cursors."""
