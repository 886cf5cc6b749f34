"""Shared kernel: the injected clock, domain errors and the observability singletons."""
