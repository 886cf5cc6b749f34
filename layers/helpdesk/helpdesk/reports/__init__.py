"""Compliance reports: figures (compute), documents (render), and the scheduled run (service)."""
