"""SGD with optional momentum, Adam, and micrograd's learning-rate decay.

Both optimizers take the steps `torch.optim.SGD` and `torch.optim.Adam` take (defaults:
dampening 0, no Nesterov, no AMSGrad), with the learning rate given to each `step(lr)` as a
schedule sets `param_group["lr"]`. L2 is not their business here: mgdesk adds
alpha * sum(p*p) to the loss, so its gradient 2 * alpha * p is already in `grad`, which is
exactly what torch's `weight_decay=2 * alpha` adds to the gradient (for Adam too: torch's
Adam adds weight_decay * p to the gradient before its moments; that is not AdamW).
"""

import math

import numpy as np

__all__ = [
    "ADAM_BETAS",
    "ADAM_EPS",
    "OPTIMIZERS",
    "SGD",
    "Adam",
    "adam_state_problem",
    "make_optimizer",
    "scheduled_lr",
    "state_size",
]

OPTIMIZERS = ("sgd", "adam")
ADAM_BETAS = (0.9, 0.999)  # PyTorch's defaults
ADAM_EPS = 1e-8


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


class Adam:
    """torch.optim.Adam's step on the flat parameter array `params` with gradient `grad`:

        m = m + (1 - beta1) * (g - m)          (torch: exp_avg.lerp_(grad, 1 - beta1))
        v = beta2 * v + (1 - beta2) * g * g
        t = t + 1
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    `state` continues a saved run: the flat list [m..., v..., t] (`state_list`), as
    `Trainer.velocity` gives it for Adam.
    """

    def __init__(self, params, grad, state=None, betas=ADAM_BETAS, eps=ADAM_EPS):
        self.params, self.grad = params, grad
        self.betas, self.eps = betas, eps
        n = len(params)
        if state is not None and len(state) > 0:
            if len(state) != 2 * n + 1:
                raise ValueError("Adam's state needs two numbers per parameter and the step")
            problem = adam_state_problem(state)
            if problem:
                raise ValueError(problem)
            state = np.array(state, dtype=np.float64)
            self.m, self.v, self.t = state[:n].copy(), state[n : 2 * n].copy(), int(state[-1])
        else:
            self.m, self.v, self.t = np.zeros(n), np.zeros(n), 0

    def step(self, lr):
        beta1, beta2 = self.betas
        g = self.grad
        self.t += 1
        self.m += (1 - beta1) * (g - self.m)
        self.v *= beta2
        self.v += (1 - beta2) * (g * g)
        step_size = lr / (1 - beta1**self.t)
        denom = np.sqrt(self.v) / math.sqrt(1 - beta2**self.t) + self.eps
        self.params += -step_size * (self.m / denom)

    @property
    def velocity(self):
        """The state as one flat array, [m..., v..., t] (what a session saves)."""
        return np.concatenate((self.m, self.v, [float(self.t)]))


def adam_state_problem(state, max_steps=None):
    """What is wrong with Adam's saved state [m..., v..., t] (of the right length), in a
    few words, or None: t counts the updates made (a whole number from 0, at most
    `max_steps`), v averages squared gradients (never negative), and before the first
    update (t = 0) both moments are still 0."""
    n = (len(state) - 1) // 2
    t = state[-1]
    if not (t >= 0 and float(t).is_integer()) or (max_steps is not None and t > max_steps):
        top = "" if max_steps is None else f" to {max_steps:,}"
        return f"Adam's step count must be a whole number from 0{top} (got {float(t)!r})"
    if any(v < 0 for v in state[n : 2 * n]):
        return "Adam's second moments (v) cannot be negative"
    if t == 0 and any(state[: 2 * n]):
        return "Adam's step count is 0 but its moments are not: before any update m = v = 0"
    return None


def make_optimizer(name, params, grad, momentum=0.0, state=None):
    """The optimizer `name` ("sgd" or "adam") over the flat array `params` and its `grad`;
    `state` continues a saved run (`velocity`: SGD's momentum, or Adam's [m, v, t])."""
    if name == "adam":
        return Adam(params, grad, state)
    return SGD(params, momentum, state, grad=grad)


def state_size(name, n_params):
    """How many numbers the optimizer's saved state has for `n_params` parameters."""
    return 2 * n_params + 1 if name == "adam" else n_params
