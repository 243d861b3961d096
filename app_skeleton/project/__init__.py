"""The {{ project }} web application."""
