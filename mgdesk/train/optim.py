"""Stochastic gradient descent with optional momentum, and micrograd's learning-rate decay."""

import numpy as np

__all__ = ["SGD", "FlatSGD", "scheduled_lr"]


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
    """p.data -= lr * v with v = momentum * v + p.grad (v = p.grad without momentum)."""

    def __init__(self, params, momentum=0.0, velocity=None):
        self.params = list(params)
        self.momentum = momentum
        self.velocity = list(velocity) if velocity else [0.0] * len(self.params)
        if len(self.velocity) != len(self.params):
            raise ValueError("the velocity needs one number per parameter")

    def step(self, lr):
        m, velocity = self.momentum, self.velocity
        for i, p in enumerate(self.params):
            velocity[i] = m * velocity[i] + p.grad
            p.data -= lr * velocity[i]


class FlatSGD:
    """`SGD` for parameters held in one float64 array (FastMLP.theta), same arithmetic:
    theta -= lr * v with v = momentum * v + grad, element by element."""

    def __init__(self, size, momentum=0.0, velocity=None):
        self.momentum = momentum
        self.velocity = np.zeros(size)
        if velocity is not None and len(velocity):
            if len(velocity) != size:
                raise ValueError("the velocity needs one number per parameter")
            self.velocity[:] = velocity

    def step(self, theta, grad, lr):
        v = self.velocity
        v *= self.momentum
        v += grad
        theta -= lr * v
