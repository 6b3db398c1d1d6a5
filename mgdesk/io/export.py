"""Export a run as a short Python script that trains it again with `mgdesk.engine`.

The script is micrograd's demo loop with this run's settings and data written in, so a
learner can read, change and rerun every line outside the app.
"""

from mgdesk.io.session import SessionError, _write_text
from mgdesk.train import make_dataset
from mgdesk.train.data import file_name

__all__ = ["export_script", "plain_inputs_refusal", "script_refusal"]

# The body of the one-sample loss of each kind, as the script writes it (the graph mgdesk builds).
LOSS_CODE = {
    "hinge": "    return (1 - y * score).relu()  # hinge: max-margin, as in micrograd's demo",
    "mse": "    return (score - y) ** 2  # squared error",
    "bce": """\
    # cross-entropy of p = sigmoid(score): log(1 + exp(-m)) with m = y * score, written as
    # max(0, -m) + log(1 + exp(-|m|)) so that exp never overflows; |m| = m + 2 * max(0, -m)
    m = y * score
    r = (-m).relu()
    return r + (1 + (-(m + 2 * r)).exp()).log()""",
}

TEMPLATE = '''\
"""A training run exported from mgdesk: RUN below says which.

Run it with a Python that has mgdesk installed:  python <this file>
It trains the same network on the same points with micrograd's loop, using the plain
Value engine (slower than the app's fast path; the numbers are the same).
"""

import math
import random

from mgdesk.engine import MLP

RUN = {summary}

# fmt: off
X = {x_train}
Y = {y_train}
X_TEST = {x_test}
Y_TEST = {y_test}
# The weights mgdesk had when this script was exported, compared with at the end: they match
# when the run in mgdesk made exactly STEPS steps and nothing was changed while it trained.
EXPORTED_WEIGHTS = {weights}
# fmt: on

STEPS = {steps}
LEARNING_RATE = {lr!r}
# "linear": LEARNING_RATE * (1 - 0.9 * k / DECAY_STEPS) as micrograd's demo, then a tenth of it
LR_DECAY = {lr_decay}
DECAY_STEPS = {decay_steps}
OPTIMIZER = {optimizer!r}  # "sgd" (with MOMENTUM) or "adam" (betas 0.9, 0.999, eps 1e-8)
MOMENTUM = {momentum!r}
ALPHA = {l2!r}  # strength of the L2 penalty ALPHA * sum(p*p)
BATCH_SIZE = {batch_size}  # 0 = every point in every step
SEED = {seed}


def flat(weights):
    return [v for layer in weights for row in layer for v in row]


model = MLP(2, {nouts}, activation={activation}, seed=SEED)
n_params = len(model.parameters())
# SGD: the momentum of each parameter; Adam: each one's m, then each one's v, then the step t
velocity = [0.0] * (2 * n_params + 1 if OPTIMIZER == "adam" else n_params)
{start}
print(RUN)
print(model)
print("number of parameters", len(model.parameters()))


def sample_loss(score, y):
{loss_code}


def loss(xs, ys):
    scores = [model(x) for x in xs]
    data_loss = sum([sample_loss(s, y) for s, y in zip(scores, ys)]) * (1.0 / len(xs))
    total = data_loss + ALPHA * sum(p * p for p in model.parameters()) if ALPHA else data_loss
    accuracy = sum((y > 0) == (s.data > 0) for s, y in zip(scores, ys)) / len(ys)
    return total, accuracy


for k in range(START_STEP, STEPS):
    if 0 < BATCH_SIZE < len(X):
        batch = random.Random(f"{{SEED}}:{{k}}").sample(range(len(X)), BATCH_SIZE)
        xs, ys = [X[i] for i in batch], [Y[i] for i in batch]
    else:
        xs, ys = X, Y
    total_loss, acc = loss(xs, ys)
    model.zero_grad()
    total_loss.backward()
    decay = max(0.1, 1 - 0.9 * k / DECAY_STEPS) if LR_DECAY == "linear" else 1.0
    lr = LEARNING_RATE * decay
    if OPTIMIZER == "adam":  # the step torch.optim.Adam takes
        t = velocity[-1] = velocity[-1] + 1
        for i, p in enumerate(model.parameters()):
            m, v = velocity[i], velocity[n_params + i]
            m = velocity[i] = m + (1 - 0.9) * (p.grad - m)
            v = velocity[n_params + i] = 0.999 * v + (1 - 0.999) * (p.grad * p.grad)
            denom = math.sqrt(v) / math.sqrt(1 - 0.999**t) + 1e-8
            p.data += -(lr / (1 - 0.9**t)) * (m / denom)
    else:
        for i, p in enumerate(model.parameters()):
            velocity[i] = MOMENTUM * velocity[i] + p.grad
            p.data -= lr * velocity[i]
    if k % max(1, STEPS // 20) == 0 or k == STEPS - 1:
        print(f"step {{k + 1}} loss {{total_loss.data:.6f}}, accuracy {{acc * 100:.1f}}%")

if X_TEST:
    test_acc = sum((y > 0) == (model(x).data > 0) for x, y in zip(X_TEST, Y_TEST)) / len(Y_TEST)
    print(f"test accuracy {{test_acc * 100:.1f}}%")


trained = flat(model.to_dict()["weights"])
difference = max(abs(a - b) for a, b in zip(trained, flat(EXPORTED_WEIGHTS)))
print(f"largest difference from the weights mgdesk exported: {{difference:.3g}}")
'''

# Everything from outside (file names, settings) enters the script as a Python literal made
# by repr() below, never as text inside code or a docstring: a CSV named
# `p""";print("x");""".csv` stays a name.


def _rows(items, per_line):
    """A list literal, `per_line` items to a line."""
    if not items:
        return "[]"
    lines = [
        "    " + ", ".join(repr(v) for v in items[i : i + per_line]) + ","
        for i in range(0, len(items), per_line)
    ]
    return "[\n" + "\n".join(lines) + "\n]"


def _weights(layers):
    """Nested weight lists, one neuron (its weights, then its bias) to a line."""
    body = ",\n".join(
        "    [\n" + ",\n".join(f"        {row!r}" for row in rows) + ",\n    ]" for rows in layers
    )
    return "[\n" + body + ",\n]"


FRESH_START = "START_STEP = 0  # train from the seeded initial weights"
LOADED_START = """\
# This run continued a session saved after step {step}: start from the weights and the
# momentum it had then, instead of the seeded initial ones.
START_STEP = {step}
# fmt: off
START_WEIGHTS = {weights}
START_VELOCITY = {velocity}
# fmt: on
for p, w in zip(model.parameters(), flat(START_WEIGHTS)):
    p.data = w
velocity = START_VELOCITY or velocity"""


def _start(start):
    """The script lines that set the starting weights: seeded, or those of `start`."""
    if start is None:
        return FRESH_START
    return LOADED_START.format(
        step=start.history[-1].step if start.history else 0,
        weights=_weights(start.model.to_dict()["weights"]),
        velocity=_rows(list(start.velocity), 4),
    )


def script_refusal(config):
    """Why the script cannot rerun `config` (a one-line reason), or None when it can."""
    if config.loss == "ce":
        return "the exported script writes one-score losses only, not ce (several classes)"
    return plain_inputs_refusal(config, "the exported script")


def plain_inputs_refusal(config, what):
    """Why `what` (an export) cannot hold a regression or other input features, or None."""
    if config.task == "regression":
        return f"{what} holds classification runs only, not regression (yet)"
    if config.input_features != ("x1", "x2"):
        return f"{what} feeds x1,x2 only, not the features {','.join(config.input_features)}"
    return None


def summary(config):
    data = f"{config.dataset} ({config.samples} samples, noise {config.noise:g})"
    if config.dataset == "csv":
        data = file_name(config.csv_path)
    elif config.dataset == "drawn":
        data = "points drawn in the window"
    hidden = ",".join(map(str, config.layers)) or "no hidden layer"
    return f"{data}, layers {hidden}, {config.loss} loss, {config.steps} steps"


def export_script(path, config, model, data=None, start=None):
    """Write a runnable script reproducing `config`'s run (data: the run's Dataset, if at
    hand; otherwise it is made again from the config). `start`: the loaded Session the run
    continued, if any: the script then starts from its weights, step and momentum.
    SessionError when the script cannot rerun it (see script_refusal)."""
    refusal = script_refusal(config)
    if refusal:
        raise SessionError(refusal)
    data = data if data is not None else make_dataset(config)
    activation = config.activation
    text = TEMPLATE.format(
        summary=repr(summary(config)),
        x_train=_rows(data.x_train, 2),
        y_train=_rows(data.y_train, 12),
        x_test=_rows(data.x_test, 2),
        y_test=_rows(data.y_test, 12),
        weights=_weights(model.to_dict()["weights"]),
        steps=config.steps,
        decay_steps=config.decay_steps or config.steps,
        start=_start(start),
        lr=config.lr,
        lr_decay=repr(config.lr_decay),
        optimizer=config.optimizer,
        momentum=config.momentum,
        l2=config.l2,
        batch_size=config.batch_size,
        seed=config.seed,
        nouts=[*config.layers, 1],
        activation=repr(activation if isinstance(activation, str) else list(activation)),
        loss_code=LOSS_CODE[config.loss],
    )
    _write_text(path, text)
