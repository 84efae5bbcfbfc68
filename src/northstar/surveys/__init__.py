"""Voice of the customer: survey definitions, invitations with single-use links, the public survey page's
answers, and the closed loop (a detractor's answer becomes a task for the account's owner)."""
