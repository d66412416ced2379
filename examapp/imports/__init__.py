"""Staged spreadsheet imports: upload, preview, then confirm all or nothing."""
