"""Composition: each function's validated settings and the one factory that builds its services."""
