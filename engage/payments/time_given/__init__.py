"""Time given (involvement records): the time people give, priced from the rate card, approved
by a manager and paid in a run; or declined, kept at £0."""
