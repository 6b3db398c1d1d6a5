"""The checks `mgdesk check-engine` runs on a learner's `Value` class, against mgdesk's.

Each check is a function `check(V, module)` of the learner's class and module that returns
`(status, hint)`: status "pass", "fail" or "missing" (an operation their class does not
have, which is not a failure), the hint a sentence in plain words that names the likely bug
and the fix. An exception a check does not expect becomes "error" in `run_check`.

These run the learner's code, so they run only in the child process of `mgdesk.check.child`
(with a time limit per check, see `mgdesk.check.runner`), never in mgdesk's own process.
The reference for every number is `mgdesk.engine.Value`.
"""

from dataclasses import dataclass

from mgdesk.check.common import (
    CHAIN_LENGTH,
    Failed,
    Missing,
    _close,
    _raised,
    _where,
    set_learner_file,
)
from mgdesk.check.expressions import (
    check_add_accumulates,
    check_backward_twice,
    check_deep_chain,
    check_mul_accumulates,
    check_random_expressions,
    check_two_branches,
)
from mgdesk.check.networks import check_mlp, check_speed, check_zero_grad
from mgdesk.check.ops import OPS, _op_check

__all__ = ["CHECKS", "Check", "run_check", "set_learner_file"]


def check_value_basics(V, module):
    try:
        v = V(2.0)
    except Exception as exc:
        raise Failed(f"Value(2.0) raises {_raised(exc)}") from None
    problems = []
    if not hasattr(v, "data") or not _close(v.data, 2.0):
        problems.append("Value(2.0).data should be 2.0")
    if not hasattr(v, "grad") or not _close(v.grad, 0.0):
        problems.append("a new Value's grad should start at 0")
    if not callable(getattr(v, "backward", None)):
        problems.append("it needs a backward() method")
    if problems:
        raise Failed("; ".join(problems))
    return "pass", ""


@dataclass(frozen=True)
class Check:
    name: str
    run: object  # (V, module) -> (status, hint)
    seconds: float = 10.0  # time limit in the child


CHECKS = (
    Check("Value(2.0): data, grad, backward()", check_value_basics),
    *(Check(op.name, _op_check(op)) for op in OPS),
    Check("random expressions", check_random_expressions),
    Check("a + a accumulates", check_add_accumulates),
    Check("x * x accumulates", check_mul_accumulates),
    Check("a value used in two branches", check_two_branches),
    Check(f"a chain of {CHAIN_LENGTH:,} operations", check_deep_chain, 30.0),
    Check("backward() twice", check_backward_twice),
    Check("MLP gradients", check_mlp),
    Check("zero_grad()", check_zero_grad),
    Check("speed of a training step", check_speed, 60.0),
)


def run_check(check, V, module):
    """{"name", "status", "hint"} of one check, and for a failure with a small failing
    expression its "graph" (mgdesk.check.graphs); never raises (but for KeyboardInterrupt)."""
    graph = None
    try:
        status, hint = check.run(V, module)
    except Missing as exc:
        status, hint = "missing", str(exc)
    except Failed as exc:
        status, hint, graph = "fail", str(exc), exc.graph
    except RecursionError as exc:
        status, hint = "fail", f"RecursionError{_where(exc)}: the graph is too deep for recursion"
    except Exception as exc:
        status, hint = "error", f"the check stopped: {_raised(exc)}"
    result = {"name": check.name, "status": status, "hint": hint}
    if status == "fail" and graph is not None:
        result["graph"] = graph
    return result
