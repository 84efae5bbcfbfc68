"""The ``northstar`` command."""
