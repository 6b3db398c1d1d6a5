"""Stochastic gradient descent with optional momentum, and micrograd's learning-rate decay."""

import numpy as np

__all__ = ["SGD", "scheduled_lr"]


def scheduled_lr(lr, decay, k, steps):
    """The learning rate of step k (counted from 0).

    "linear" is micrograd's demo schedule lr * (1 - 0.9 * k / steps): from lr down to a
    tenth of it; steps past the end keep the tenth, so a run continued for more steps goes
    on at the rate it ended with.
    """
    if decay == "linear":
        return lr * max(0.1, 1 - 0.9 * k / steps)
    return lr


class SGD:
    """p.data -= lr * v with v = momentum * v + p.grad (v = p.grad without momentum).

    `params` is a list of `Value`s, or, for the fast path, the flat float64 array of all
    parameters (`FastMLP.theta`) with its gradient array as `grad`: the same arithmetic,
    element by element, in one array expression.
    """

    def __init__(self, params, momentum=0.0, velocity=None, grad=None):
        self.params = list(params) if grad is None else params
        self.momentum = momentum
        self.grad = grad
        given = velocity is not None and len(velocity) > 0
        if given and len(velocity) != len(self.params):
            raise ValueError("the velocity needs one number per parameter")
        if grad is None:
            self.velocity = list(velocity) if given else [0.0] * len(self.params)
        else:
            self.velocity = np.array(velocity, dtype=np.float64) if given else np.zeros(len(grad))

    def step(self, lr):
        m, velocity = self.momentum, self.velocity
        if self.grad is not None:  # arrays
            velocity *= m
            velocity += self.grad
            self.params -= lr * velocity
            return
        for i, p in enumerate(self.params):
            velocity[i] = m * velocity[i] + p.grad
            p.data -= lr * velocity[i]
