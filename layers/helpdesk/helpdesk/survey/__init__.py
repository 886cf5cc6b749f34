"""Satisfaction surveys: signed rating links, the survey email and the rating page."""
