"""A guestbook: the example app served by ``make demo``."""
