"""Health scores and churn risk: scorecards as configuration, explained, and proven against what happened."""
