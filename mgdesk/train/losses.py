"""Losses for labels y in {-1, +1} and a network score s, each in two forms.

`value(s, y)` builds the loss of one sample from `Value`s: the plain path, and what the
graph view draws. `point(s, y)` gives the same loss and its derivative d loss / d s as
floats, which `loss_grad` turns into the batch function the engine's fast path wants.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LOSSES", "Loss", "accuracy", "l2_penalty"]


def _hinge_value(s, y):
    return (1 - y * s).relu()


def _hinge_point(s, y):
    margin = 1 - y * s
    return (margin, -y) if margin > 0 else (0.0, 0.0)


def _mse_value(s, y):
    return (s - y) ** 2


def _mse_point(s, y):
    d = s - y
    return d * d, 2 * d


def _bce_value(s, y):
    # Binary cross-entropy of p = sigmoid(s) against t = (y + 1) / 2 is -log(sigmoid(m)) with
    # m = y * s, i.e. softplus(-m) = log(1 + exp(-m)). Written as max(0, -m) + log(1 +
    # exp(-|m|)) so that exp never overflows, with |m| = m + 2 * max(0, -m): at m = 0 both
    # relus then take the same side, and the gradient is sigmoid's -1/2. Same ops for any m.
    m = y * s
    r = (-m).relu()
    return r + (1 + (-(m + 2 * r)).exp()).log()


def _bce_point(s, y):
    # -log(sigmoid(m)) = log(1 + exp(-m)), written so that exp never overflows: stable for
    # any logit. Its derivative in m is -sigmoid(-m).
    m = y * s
    if m >= 0:
        e = math.exp(-m)
        return math.log1p(e), -y * e / (1 + e)
    e = math.exp(m)
    return -m + math.log1p(e), -y / (1 + e)


@dataclass(frozen=True)
class Loss:
    name: str
    title: str
    value: Callable  # (score Value, label) -> Value, one sample
    point: Callable  # (score, label) -> (loss, d loss / d score), floats

    def mean(self, scores, ys):
        """Value graph of the mean loss over samples (micrograd: sum(losses) * (1/n))."""
        losses = [self.value(s, y) for s, y in zip(scores, ys, strict=True)]
        return sum(losses) * (1.0 / len(losses))

    def loss_grad(self, ys):
        """A `loss_grad(outputs) -> (mean loss, d_outputs)` for `FastMLP.loss_and_backward`."""
        n = len(ys)

        def loss_grad(outputs):
            pairs = [self.point(s, y) for s, y in zip(outputs[0], ys, strict=True)]
            return sum(p[0] for p in pairs) / n, [[p[1] / n for p in pairs]]

        return loss_grad


LOSSES = {
    "hinge": Loss("hinge", "hinge, max(0, 1 - y*s)", _hinge_value, _hinge_point),
    "mse": Loss("mse", "mean squared error, (s - y)^2", _mse_value, _mse_point),
    "bce": Loss("bce", "cross-entropy of sigmoid(s)", _bce_value, _bce_point),
}


def l2_penalty(alpha, params):
    """alpha * sum(p*p) as a float, micrograd's reg_loss; its gradient is 2*alpha*p."""
    return alpha * sum(p.data * p.data for p in params)


def accuracy(scores, ys):
    """Share of samples whose score has the sign of the label (score 0 counts as -1)."""
    if not ys:
        return None
    return sum((s > 0) == (y > 0) for s, y in zip(scores, ys, strict=True)) / len(ys)
