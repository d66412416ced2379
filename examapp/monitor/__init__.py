"""The live monitor of a sitting, and the corrections admins make from it."""
