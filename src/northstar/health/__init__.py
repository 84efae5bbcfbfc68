"""Health scores and churn risk: scorecards as configuration, explained, and proven against what happened."""

#: What a model of ``northstar.health.risk`` predicts, and the words for it (here, light, for the CLI).
TARGETS = {"churn": "churn or contraction", "expansion": "expansion"}
