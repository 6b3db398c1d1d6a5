"""Losses for labels y in {-1, +1} and a network score s, each in three forms.

`value(s, y)` builds the loss of one sample from `Value`s: the plain path, and what the
graph view draws. `point(s, y)` gives the same loss and its derivative d loss / d s as
floats; `batch(s, y)` gives both for arrays of scores and labels at once (the fast path).

The softmax cross-entropy "ce" (`multi`) takes K scores per sample (one per class) and a
class index y in 0..K-1: `value(scores, y)` a list of K Values, `point` a list of K floats,
`batch` an (n, K) array. Its accuracy is the share of samples whose largest score is their
class (`accuracy` with an (n, K) array).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mgdesk.engine import Value

__all__ = ["LOSSES", "Loss", "accuracy", "l2_penalty", "r_squared"]


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


def _ce_value(scores, y):
    # -log softmax(s)[k] = log(sum_j exp(s_j)) - s_k, with the largest score m subtracted
    # first (a plain number: softmax does not change, and exp never overflows):
    # log(sum_j exp(s_j - m)) - (s_k - m). Every op has its local derivative (exp, log, +, *).
    k = int(y.data if isinstance(y, Value) else y)
    m = max(s.data for s in scores)
    shifted = [s - m for s in scores]
    total = shifted[0].exp()
    for z in shifted[1:]:
        total = total + z.exp()
    return total.log() - shifted[k]


def _ce_point(scores, y):
    out, d = _ce_batch(np.array([scores], dtype=np.float64), np.array([y], dtype=np.float64))
    return float(out[0]), d[0].tolist()


def _ce_batch(S, y):
    # The same, for an (n, K) array: loss log(sum exp(Z)) - Z[k] with Z = S - max per row,
    # and its gradient softmax(S) - onehot(k).
    k = y.astype(np.intp)
    Z = S - S.max(axis=1, keepdims=True)
    E = np.exp(Z)
    total = E.sum(axis=1)
    rows = np.arange(len(k))
    loss = np.log(total) - Z[rows, k]
    d = E / total[:, None]
    d[rows, k] -= 1.0
    return loss, d


@dataclass(frozen=True)
class Loss:
    name: str
    title: str
    value: Callable  # (score Value, label) -> Value, one sample
    point: Callable  # (score, label) -> (loss, d loss / d score), floats
    batch: Callable  # (scores, labels), float64 arrays -> (losses, d loss / d scores), arrays
    multi: bool = False  # K scores per sample, labels 0..K-1 (ce); else one score, labels +-1

    def scores(self, outputs):
        """What the loss takes from the network's (n, outputs) array: column 0, or all."""
        return outputs if self.multi else outputs[:, 0]

    def d_outputs(self, d_scores):
        """d loss / d scores as the (n, outputs) array the network's backward takes."""
        return d_scores if self.multi else d_scores[:, None]

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
            S = np.asarray(outputs, dtype=np.float64).T  # (n, outputs)
            loss, d = self.mean_and_grad(self.scores(S), ys)
            return loss, self.d_outputs(d).T

        return loss_grad


LOSSES = {
    "hinge": Loss("hinge", "hinge, max(0, 1 - y*s)", _hinge_value, _hinge_point, _hinge_batch),
    "mse": Loss("mse", "mean squared error, (s - y)^2", _mse_value, _mse_point, _mse_batch),
    "bce": Loss("bce", "cross-entropy of sigmoid(s)", _bce_value, _bce_point, _bce_batch),
    "ce": Loss(
        "ce", "softmax cross-entropy, -log softmax(s)[y]", _ce_value, _ce_point, _ce_batch, True
    ),
}


def l2_penalty(alpha, params):
    """alpha * sum(p*p) as a float, micrograd's reg_loss; its gradient is 2*alpha*p."""
    return alpha * sum(p.data * p.data for p in params)


def accuracy(scores, ys):
    """Share of samples whose score has the sign of the label (score 0 counts as -1), or,
    for an (n, K) array of scores, whose largest score is at their class (the first of
    equal scores counts); None without samples. Lists or arrays."""
    if len(ys) != len(scores):
        raise ValueError("one score per label")
    if not len(ys):
        return None
    scores = np.asarray(scores)
    if scores.ndim == 2:
        right = np.count_nonzero(np.argmax(scores, axis=1) == np.asarray(ys))
    else:
        right = np.count_nonzero((scores > 0) == (np.asarray(ys) > 0))
    return right / len(ys)


def r_squared(predictions, ys):
    """Regression's figure where classification has accuracy: 1 - sum((p - y)^2) /
    sum((y - mean y)^2), 1 for a perfect fit, 0 for predicting the mean, below 0 worse;
    None without samples (as accuracy), and None when the targets are all equal (one point,
    a constant curve): R squared is then undefined (0 / 0), and no figure is shown."""
    if len(ys) != len(predictions):
        raise ValueError("one prediction per target")
    if not len(ys):
        return None
    p, y = np.asarray(predictions, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    residual, spread = float(((p - y) ** 2).sum()), float(((y - y.mean()) ** 2).sum())
    if spread == 0:
        return None
    return 1.0 - residual / spread
