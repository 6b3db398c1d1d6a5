"""What a value is in a traced graph: the one vocabulary of roles.

The graph's borders (dot.py's ROLE_STYLE), the neuron and network views, the drawing of a
failing engine check and the node inspector all name a value's role with these words:

    value_role(node, root, params) -> "loss", "intermediate", "parameter", "constant",
                                      "input" or "target"

`ROLES` says each one to people. Parameters are the leaves in `params`; without that list,
the leaves named like the engine's MLP parameters (PARAMETER_LABEL: `L1.N3.w2`, `L1.N3.b`).
"""

import re

__all__ = ["PARAMETER_LABEL", "ROLES", "TARGET_LABEL", "is_parameter_label", "value_role"]

PARAMETER_LABEL = re.compile(r"L\d+\.N\d+\.(w\d+|b)")  # the engine's MLP names, e.g. L1.N3.w2
TARGET_LABEL = "y"  # the label the traced sample gives its target (train.sample_loss)

ROLES = {
    "loss": "the loss (the root: its grad is 1)",
    "intermediate": "made by an operation",
    "parameter": "a parameter (training changes it)",
    "input": "an input (training does not change it)",
    "target": "the target (the label the loss is measured against)",
    "constant": "a constant",
}


def is_parameter_label(label):
    """Is `label` a parameter's name in the engine's MLP (`L1.N3.w2`, `L2.N1.b`)?"""
    return PARAMETER_LABEL.fullmatch(label) is not None


def value_role(value, root=None, params=None):
    """The role of the Value `value` in the graph of `root` (a key of ROLES): the root is the
    loss, a value made by an op is intermediate; a leaf is a parameter (in `params`, or
    named like one when `params` is None), the target ("y"), an input (another name) or a
    constant (no name)."""
    if value is root:
        return "loss"
    if value._prev:
        return "intermediate"
    if params is not None:
        if any(value is p for p in params):
            return "parameter"
    elif is_parameter_label(value.label):
        return "parameter"
    if not value.label:
        return "constant"
    return "target" if value.label == TARGET_LABEL else "input"
