"""Outbound messages: e-mail over SMTP (survey invitations now; playbooks' messages later)."""
