"""Tasks for CSMs: made by hand, by playbooks, by survey answers; assigned, commented and completed."""
