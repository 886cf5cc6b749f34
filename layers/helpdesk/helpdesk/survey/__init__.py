"""Satisfaction surveys: signed links, the survey email, the survey page, recording what customers confirm
and the owner's feedback mail."""
