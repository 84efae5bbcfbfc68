"""The HTTP APIs for machines: the Segment-compatible tracking API and the REST API (issue 4)."""
