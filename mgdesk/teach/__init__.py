"""Teaching aids: words for what a node does, and backpropagation one node at a time.

- `explain`: each op's local derivative as the learner would write it, with the live
  numbers (`d tanh(n)/dn = 1 − tanh²(n) = 1 − 0.76² = 0.42`), a node's role and update.
- `stepper`: `BackwardStepper` runs `Value.backward()`'s loop by hand, one node per step,
  forwards and back; `NetworkStepper` does it a neuron at a time.

No Qt: the window's stepper panel and inspector show what these return.
"""

from mgdesk.teach.explain import describe, fmt, local_derivative, local_rule, node_role
from mgdesk.teach.stepper import BackwardStepper, NetworkStepper

__all__ = [
    "BackwardStepper",
    "NetworkStepper",
    "describe",
    "fmt",
    "local_derivative",
    "local_rule",
    "node_role",
]
