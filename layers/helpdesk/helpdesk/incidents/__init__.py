"""Incidents: one problem reported by many customers, detected, linked, escalated and answered as one."""
