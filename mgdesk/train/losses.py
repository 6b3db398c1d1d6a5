"""Losses for labels y in {-1, +1} and a network score s, each in three forms.

`value(s, y)` builds the loss of one sample from `Value`s: the plain path, and what the
graph view draws. `point(s, y)` gives the same loss and its derivative d loss / d s as
floats; `batch(s, y)` gives both for arrays of scores and labels at once (the fast path).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["LOSSES", "Loss", "accuracy", "l2_penalty"]


def _hinge_value(s, y):
    return (1 - y * s).relu()


def _hinge_point(s, y):
    margin = 1 - y * s
    return (0.0, 0.0) if margin <= 0 else (margin, -y)  # a NaN stays NaN, as in relu


def _hinge_batch(s, y):
    margin = 1 - y * s
    return np.maximum(margin, 0.0), np.where(margin <= 0, 0.0, -y)


def _mse_value(s, y):
    return (s - y) ** 2


def _mse_point(s, y):
    d = s - y
    return d * d, 2 * d


def _mse_batch(s, y):
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


def _bce_batch(s, y):
    # _bce_point for arrays: both of its branches at once, with e = exp(-|m|) <= 1.
    m = y * s
    e = np.exp(-np.abs(m))
    loss = np.maximum(-m, 0.0) + np.log1p(e)
    return loss, np.where(m >= 0, -y * e / (1 + e), -y / (1 + e))


@dataclass(frozen=True)
class Loss:
    name: str
    title: str
    value: Callable  # (score Value, label) -> Value, one sample
    point: Callable  # (score, label) -> (loss, d loss / d score), floats
    batch: Callable  # (scores, labels), float64 arrays -> (losses, d loss / d scores), arrays

    def mean(self, scores, ys):
        """Value graph of the mean loss over samples (micrograd: sum(losses) * (1/n))."""
        losses = [self.value(s, y) for s, y in zip(scores, ys, strict=True)]
        return sum(losses) * (1.0 / len(losses))

    def mean_and_grad(self, scores, ys):
        """(mean loss, d mean loss / d scores) of float64 arrays of scores and labels."""
        losses, d = self.batch(scores, ys)
        n = len(ys)
        return float(losses.sum()) / n, d / n

    def loss_grad(self, ys):
        """A `loss_grad(outputs) -> (mean loss, d_outputs)` for `FastMLP.loss_and_backward`."""
        ys = np.asarray(ys, dtype=np.float64)

        def loss_grad(outputs):
            loss, d = self.mean_and_grad(np.asarray(outputs[0], dtype=np.float64), ys)
            return loss, [d]

        return loss_grad


LOSSES = {
    "hinge": Loss("hinge", "hinge, max(0, 1 - y*s)", _hinge_value, _hinge_point, _hinge_batch),
    "mse": Loss("mse", "mean squared error, (s - y)^2", _mse_value, _mse_point, _mse_batch),
    "bce": Loss("bce", "cross-entropy of sigmoid(s)", _bce_value, _bce_point, _bce_batch),
}


def l2_penalty(alpha, params):
    """alpha * sum(p*p) as a float, micrograd's reg_loss; its gradient is 2*alpha*p."""
    return alpha * sum(p.data * p.data for p in params)


def accuracy(scores, ys):
    """Share of samples whose score has the sign of the label (score 0 counts as -1);
    None without samples. Lists or arrays."""
    if len(ys) != len(scores):
        raise ValueError("one score per label")
    if not len(ys):
        return None
    right = np.count_nonzero((np.asarray(scores) > 0) == (np.asarray(ys) > 0))
    return right / len(ys)
