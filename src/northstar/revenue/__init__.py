"""Subscriptions, contracts and invoices: the source of every revenue metric."""
