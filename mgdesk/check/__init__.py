"""Check a learner's own micrograd `Value` class against mgdesk's engine.

    mgdesk check-engine path/to/engine.py [--class Value] [--json]

Their file is run only when they ask, and only in a child process with a time limit per
check (`runner.run_checks`); `checks` holds what is checked and the plain-word hints.
"""

from mgdesk.check.runner import CheckError, run_checks

__all__ = ["CheckError", "run_checks"]
