"""Touchpoints: every interaction with a customer on every channel."""
