"""Check gradients against central finite differences."""

from dataclasses import dataclass

__all__ = ["GradCheckResult", "gradcheck", "relative_error"]


def relative_error(a, b, floor=1e-8):
    """|a - b| scaled by the larger magnitude; near zero it becomes an absolute error."""
    return abs(a - b) / max(abs(a), abs(b), floor)


@dataclass(frozen=True)
class GradCheckResult:
    max_rel_error: float
    # (label, analytic grad, numeric grad, relative error), one per parameter, in order
    rows: tuple

    def worst(self, k=5):
        return sorted(self.rows, key=lambda r: r[3], reverse=True)[:k]


def gradcheck(f, params, eps=1e-6):
    """Compare `backward()` gradients of `f()` with central differences.

    `f` builds and returns a fresh scalar `Value` from the current `p.data` of `params`.
    Each parameter is nudged by ±eps in turn and restored afterwards.
    """
    params = list(params)
    for p in params:
        p.grad = 0.0
    f().backward()
    analytic = [p.grad for p in params]
    rows = []
    for p, a in zip(params, analytic, strict=True):
        original = p.data
        p.data = original + eps
        up = f().data
        p.data = original - eps
        down = f().data
        p.data = original
        numeric = (up - down) / (2 * eps)
        rows.append((p.label, a, numeric, relative_error(a, numeric)))
    return GradCheckResult(max((r[3] for r in rows), default=0.0), tuple(rows))
