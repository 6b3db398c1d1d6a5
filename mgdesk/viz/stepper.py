"""Moved to mgdesk.teach.stepper; the name stays here for the window until it imports it
there."""

from mgdesk.teach.stepper import BackwardStepper

__all__ = ["BackwardStepper"]
