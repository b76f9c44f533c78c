"""Circles: a real-time, chat-first community server."""
