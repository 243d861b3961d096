"""Small mvcpy apps that the end-to-end tests serve with real servers."""
