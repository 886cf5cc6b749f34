"""Outbound messages: one Jinja environment, one mail factory, and one module per kind of message."""
