"""Check gradients against central finite differences.

This is the measuring part; the verdict (tolerances, PyTorch, the report the CLI and the
window show) is mgdesk.viz.gradcheck's.
"""

import math
from dataclasses import dataclass

__all__ = ["GRAD_FLOOR", "GradCheckResult", "gradcheck", "relative_error", "relu_sides"]

# Below this size an error is absolute: rounding must not swamp a gradient of 0 (a dead ReLU).
GRAD_FLOOR = 1e-6


def relative_error(a, b, noise=0.0):
    """|a - b| scaled by the larger magnitude, not counting `noise` (an absolute rounding
    allowance); below GRAD_FLOOR it becomes an absolute error. NaN or inf (in the noise
    too): an infinite error, so that a broken number can never pass for an agreement."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(noise)):
        return math.inf
    return max(0.0, abs(a - b) - noise) / max(abs(a), abs(b), GRAD_FLOOR)


def relu_sides(root):
    """Which ReLU inputs in `root`'s graph are above 0, in graph order."""
    return tuple(node._a.data > 0 for node in root.topological_order() if node._op == "relu")


@dataclass(frozen=True)
class GradCheckResult:
    max_rel_error: float  # over the rows not skipped
    # (label, analytic grad, numeric grad, relative error), one per checked parameter, in order
    rows: tuple
    skipped: tuple = ()  # positions in rows whose nudge moved a ReLU input across 0

    def worst(self, k=5):
        checked = [row for i, row in enumerate(self.rows) if i not in self.skipped]
        return sorted(checked, key=lambda r: r[3], reverse=True)[:k]


def gradcheck(f, params, eps=1e-6, check=None, evaluate=None):
    """Compare `backward()` gradients of `f()` with central differences.

    `f` builds and returns a fresh scalar `Value` from the current `p.data` of `params`.
    Each parameter of `check` (default: all of `params`) is nudged by ±eps in turn and
    restored afterwards. `evaluate()` gives the nudged values as (number, relu_sides); by
    default it calls `f()`, but a faster float version of the same function may be given.

    A ReLU has no derivative at 0: when a nudge moves a ReLU input across 0, the difference
    measures a mix of its two slopes, not the gradient. Such a parameter is listed in
    `skipped` and left out of `max_rel_error`.
    """
    if evaluate is None:

        def evaluate():
            out = f()
            return out.data, relu_sides(out)

    params = list(params)
    check = params if check is None else list(check)
    for p in params:
        p.grad = 0.0
    f().backward()
    analytic = [p.grad for p in check]
    _, sides = evaluate()
    rows, skipped = [], set()
    for p, a in zip(check, analytic, strict=True):
        original = p.data
        p.data = original + eps
        up, up_sides = evaluate()
        p.data = original - eps
        down, down_sides = evaluate()
        p.data = original
        numeric = (up - down) / (2 * eps)
        if up_sides != sides or down_sides != sides:
            skipped.add(len(rows))
        rows.append((p.label, a, numeric, relative_error(a, numeric)))
    errors = [row[3] for i, row in enumerate(rows) if i not in skipped]
    return GradCheckResult(max(errors, default=0.0), tuple(rows), tuple(sorted(skipped)))
