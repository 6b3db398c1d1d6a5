"""Moved: the explanations are mgdesk.teach.explain's, the sample gradient check
mgdesk.viz.gradcheck's. These names stay here for the window until it imports them there."""

from mgdesk.teach.explain import describe, fmt, local_derivative, update_text
from mgdesk.viz.gradcheck import check_sample_gradients

__all__ = ["check_sample_gradients", "describe", "fmt", "local_derivative", "update_text"]
