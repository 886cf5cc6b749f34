"""Escalations: chain steps, triggers, executive routing, briefings and SMS."""
