"""The guestbook's controllers."""
