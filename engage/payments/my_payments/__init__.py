"""A person's own payments pages: earnings, time and whether to be paid for it, statements,
the benefits letter and bank details."""
