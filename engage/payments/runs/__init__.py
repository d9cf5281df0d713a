"""Payment runs and the finance pages: what is ready to pay, runs made exactly once, the files
for the bank, and correcting entries for payments put right."""
