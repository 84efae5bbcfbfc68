"""Outbound webhooks: other systems follow changes in Northstar."""
