"""Filters: onion-model request hooks for the app, namespaces and routes."""

from mvcpy.filters.chain import CallNext, Endpoint, Filter, Handler, compose, is_async_callable

__all__ = ["CallNext", "Endpoint", "Filter", "Handler", "compose", "is_async_callable"]
