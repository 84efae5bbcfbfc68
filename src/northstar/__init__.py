"""Northstar: an open-source customer success platform.

The package is laid out by domain (accounts, revenue, usage, support, touchpoints, feedback, success,
auth, ingest, customer360, demo); the web app (``northstar.web``) and the CLI (``northstar.cli``) are thin
entry points over the domains' services.
"""

__version__ = "0.1.0"
