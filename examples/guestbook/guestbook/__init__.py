"""A guestbook: the framework's first example (see examples/guestbook/README.md)."""
