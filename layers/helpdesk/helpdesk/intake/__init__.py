"""Inbound mail: the SES event, routing, threading, new tickets and replies."""
