"""The metrics layer: revenue, retention, feedback, support and usage, as backend-portable Ibis expressions
used alike by the web app, the CLI, reports and the Python API."""
