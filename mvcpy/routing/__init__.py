"""Routing: the radix tree, converters, the route table, namespaces and reverse URLs."""

from mvcpy.routing.conditions import When
from mvcpy.routing.namespace import Namespace
from mvcpy.routing.reverse import URLBuildError
from mvcpy.routing.router import Miss, Route, Router

__all__ = ["Miss", "Namespace", "Route", "Router", "URLBuildError", "When"]
