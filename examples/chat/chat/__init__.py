"""A chat: WebSocket rooms with server-rendered messages pushed to every open page."""
