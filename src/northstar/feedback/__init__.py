"""Feedback: survey answers (NPS, CSAT, CES) and free text from any channel."""
