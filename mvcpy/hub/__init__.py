"""Rooms, broadcasts and live HTML fragments for WebSocket connections and event streams."""

from mvcpy.hub.fragments import ACTIONS, fragment_message
from mvcpy.hub.hub import BACKENDS, Broker, Hub, encode_message
from mvcpy.hub.subscriber import POLICIES, Payload, Subscriber, SubscriberClosed

__all__ = [
    "ACTIONS",
    "BACKENDS",
    "POLICIES",
    "Broker",
    "Hub",
    "Payload",
    "Subscriber",
    "SubscriberClosed",
    "encode_message",
    "fragment_message",
]
