"""Kept so that `from helpdesk.classifier import Classifier` still works; the code lives in helpdesk.classify."""
from helpdesk.classify import Classification, Classifier, Evidence  # noqa: F401
