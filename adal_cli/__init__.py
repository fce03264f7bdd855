"""The `adal` command line: instance set-up, users, serving, maintenance."""
