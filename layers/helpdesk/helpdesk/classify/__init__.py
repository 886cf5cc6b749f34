"""Explainable classification of support mail: severity, issue type, triggers and emotion.

Rules find what the customer describes (concepts in classify/data/lexicon.yaml and the policy's own
phrase lists); triggers are detected by rules and act as a floor through the policy's raises; a linear
model trained at build time (classify/data/*.json) weighs the rule features into a severity and an issue
type. Every verdict carries the evidence that decided it.
"""

from helpdesk.classify.classifier import Classifier
from helpdesk.classify.result import Classification, Evidence

__all__ = ["Classification", "Classifier", "Evidence"]
