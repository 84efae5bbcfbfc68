"""Staff users, roles and password sign-in."""
