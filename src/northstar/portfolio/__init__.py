"""The book of accounts a CSM or leader works from: one row per account with what the list shows."""
