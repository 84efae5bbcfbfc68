"""Accounts (customer organisations, with hierarchies) and their contacts."""
