"""The demo company: a seeded, realistic B2B SaaS customer base whose outcomes follow a documented causal
story (docs/demo-data.md), so every analysis in Northstar can be checked against the truth."""
