"""Playbooks: rules that turn what happens to customers into tasks, messages and changes."""
