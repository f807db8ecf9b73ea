"""Importing contacts and companies: reading files, mapping columns, running the import in the background."""
