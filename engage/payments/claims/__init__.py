"""Expense claims: what taking part cost, claimed with receipts, decided by a second pair of
eyes and paid back in a run (or in cash on the day)."""
