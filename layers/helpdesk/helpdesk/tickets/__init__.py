"""Tickets: typed records, their context, operations, staff commands and staff replies."""
