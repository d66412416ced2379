"""Accounts, roles, login and passwords."""
