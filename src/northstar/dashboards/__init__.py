"""Leaders' dashboards: retention, revenue movements, renewals, health, satisfaction, cohorts."""
