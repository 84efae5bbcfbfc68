"""Saved views: a user's named filters of the account list or the dashboards, one click away."""
