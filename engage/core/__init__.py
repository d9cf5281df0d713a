"""Cross-cutting pieces with no domain rules: database base, security, htmx, audit, outbox,
languages and the command line."""
