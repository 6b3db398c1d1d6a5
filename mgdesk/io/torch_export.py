"""Export a session to PyTorch: one script that needs only PyTorch and the standard library.

    mgdesk export-torch run.json --out model.py
    python model.py                 # the loaded weights: one JSON object (step, losses, accuracies)
    python model.py --steps 50      # train on with torch.optim, one JSON object per step
    python model.py --save model.pt # write the state_dict

The script holds everything as literals: the network as a `torch.nn.Sequential` of `Linear`
layers and activations in float64 with the session's weights, the points, labels and
train/test split, the input features, the loss (ce: `cross_entropy` over K outputs), the L2
strength, SGD with its momentum or Adam with its moments, the learning-rate schedule going
on where the session stopped, and the seeded minibatch order. Its figures
mean what mgdesk's mean (`StepStats`): a step reports the loss (L2 included) and accuracy of
the weights it started from, on its batch, and the test set's before the update. Every
`train_loss` matches `mgdesk train --load run.json --steps N --json` to rounding.

Nothing from the session becomes code: numbers are written with `repr` (exact for floats)
and the only text, the data set's name, as a quoted string literal.
"""

import json
from pathlib import Path

from mgdesk.engine.activations import ACTIVATION
from mgdesk.io.paths import error_line
from mgdesk.io.session import (
    SessionError,
    _write_text,
    check_writable,
    load_session,
    restarted_state,
)
from mgdesk.train import ConfigError, make_dataset

__all__ = [
    "add_export_torch_parser",
    "export_torch_script",
    "run_export_torch",
    "torch_script",
]


# The mean loss over samples, from scores s and labels y (tensors), as each loss is written.
LOSS_CODE = {
    "hinge": """\
    # hinge: max(0, 1 - y*s), micrograd's max-margin loss
    return torch.relu(1 - y * s).mean()""",
    "mse": """\
    # squared error (s - y)^2
    return ((s - y) ** 2).mean()""",
    "ce": """\
    # softmax cross-entropy of the K scores against the class: -log softmax(s)[y]
    return torch.nn.functional.cross_entropy(s, y.long())""",
    "bce": """\
    # cross-entropy of sigmoid(s) against (y + 1) / 2, i.e. log(1 + exp(-y*s)): the same as
    # torch.nn.functional.binary_cross_entropy_with_logits(s, (y + 1) / 2), written with
    # logaddexp (log1p inside) so that tiny losses keep every digit
    return torch.logaddexp(torch.zeros_like(s), -y * s).mean()""",
}

TEMPLATE = '''\
"""A network trained in mgdesk, exported to PyTorch ({summary}).

Needs only PyTorch and the Python standard library:

    python {filename}                  # the loaded weights: step, loss and accuracy as JSON
    python {filename} --steps 50       # train 50 more steps, one JSON object per step
    python {filename} --save model.pt  # write the state_dict (after any --steps)

The figures mean what mgdesk's mean: losses include the L2 term ALPHA * sum(p*p); a step
reports the loss and accuracy of the weights it started from, on the samples it used, and
the test set's, before its update. `mgdesk train --load SESSION --steps N --json` prints
the same train_loss for each step, to rounding.
"""

import argparse
import json
import math
import pathlib
import random

import torch

# fmt: off
DATASET = {dataset}
X_TRAIN = {x_train}
Y_TRAIN = {y_train}  # {labels_doc}
X_TEST = {x_test}
Y_TEST = {y_test}
# Per Linear layer, one row per neuron: its weights, then its bias.
WEIGHTS = {weights}
# The optimizer's state, in the same order (weights then bias, neuron by neuron); [] = none yet.
# SGD: the momentum per parameter; Adam: exp_avg per parameter, exp_avg_sq per parameter, step.
VELOCITY = {velocity}
# fmt: on

STEP = {step}  # updates the session had made
LEARNING_RATE = {lr!r}
LR_DECAY = {lr_decay}  # "linear": LEARNING_RATE * max(0.1, 1 - 0.9 * k / DECAY_STEPS)
DECAY_STEPS = {decay_steps}
OPTIMIZER = {optimizer!r}  # "sgd" or "adam" (betas 0.9, 0.999, eps 1e-8: torch's defaults)
MOMENTUM = {momentum!r}  # SGD's
ALPHA = {l2!r}  # L2 penalty ALPHA * sum(p*p) over all weights and biases
BATCH_SIZE = {batch_size}  # 0 = every training point in every step
SEED = {seed}  # seeds the minibatch of step k: random.Random(f"{{SEED}}:{{k}}")

torch.set_default_dtype(torch.float64)
{module_classes}model = torch.nn.Sequential(
{modules}
)
linears = [m for m in model if isinstance(m, torch.nn.Linear)]
with torch.no_grad():
    for linear, rows in zip(linears, WEIGHTS):
        linear.weight.copy_(torch.tensor([row[:-1] for row in rows]))
        linear.bias.copy_(torch.tensor([row[-1] for row in rows]))


def data_loss(s, y):
{loss_code}


def loss_and_accuracy(x, y):
    """Mean loss + L2, and {figure_doc}."""
    s = model(x){score_slice}
    l2 = sum((p * p).sum() for p in model.parameters())
{figure_code}
    return data_loss(s, y) + ALPHA * l2, figure


def features(p):
    """What the network sees of points p (an (n, 2) tensor): {feature_names}."""
    x1, x2 = p[:, 0], p[:, 1]
    return torch.stack([{feature_code}], dim=1)


def as_tensors(points, labels):
    return features(torch.tensor(points).reshape(-1, 2)), torch.tensor(labels)


def learning_rate(k):
    """The rate of step k (counted from 0 at the session's start): micrograd's decay."""
    if LR_DECAY == "linear":
        return LEARNING_RATE * max(0.1, 1 - 0.9 * k / DECAY_STEPS)
    return LEARNING_RATE


def batch(k):
    """Step k's training points: all of them, or the same seeded minibatch as mgdesk's."""
    if 0 < BATCH_SIZE < len(X_TRAIN):
        picked = random.Random(f"{{SEED}}:{{k}}").sample(range(len(X_TRAIN)), BATCH_SIZE)
        return [X_TRAIN[i] for i in picked], [Y_TRAIN[i] for i in picked]
    return X_TRAIN, Y_TRAIN


def test_figures():
    if not X_TEST:
        return None, None
    with torch.no_grad():
        loss, acc = loss_and_accuracy(*as_tensors(X_TEST, Y_TEST))
    return loss.item(), acc


def report(step, train_loss, train_acc):
    test_loss, test_acc = test_figures()
    figures = dict(train_loss=train_loss, train_acc=train_acc, test_loss=test_loss)
    print(json.dumps(dict(step=step, **figures, test_acc=test_acc)), flush=True)


def per_parameter(flat):
    """A flat list in mgdesk's order as one (weight, bias) pair of tensors per Linear."""
    start = 0
    for linear in linears:
        n_out, n_in = linear.weight.shape
        rows = torch.tensor(flat[start : start + n_out * (n_in + 1)]).reshape(n_out, -1)
        yield linear, rows[:, :-1].clone(), rows[:, -1].clone()
        start += n_out * (n_in + 1)


def optimizer():
    """SGD as mgdesk's (v = MOMENTUM * v + grad; p -= lr * v) or Adam, with the session's state."""
    if OPTIMIZER == "adam":
        adam = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(0.9, 0.999), eps=1e-8)
        if VELOCITY:
            n = (len(VELOCITY) - 1) // 2
            step = torch.tensor(float(VELOCITY[-1]))
            moments = zip(per_parameter(VELOCITY[:n]), per_parameter(VELOCITY[n : 2 * n]))
            for (linear, m_w, m_b), (_, v_w, v_b) in moments:
                adam.state[linear.weight] = dict(step=step.clone(), exp_avg=m_w, exp_avg_sq=v_w)
                adam.state[linear.bias] = dict(step=step.clone(), exp_avg=m_b, exp_avg_sq=v_b)
        return adam
    sgd = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    if MOMENTUM and VELOCITY:
        for linear, weight, bias in per_parameter(VELOCITY):
            sgd.state[linear.weight]["momentum_buffer"] = weight
            sgd.state[linear.bias]["momentum_buffer"] = bias
    return sgd


def train(steps):
    sgd = optimizer()
    for k in range(STEP, STEP + steps):
        x, y = as_tensors(*batch(k))
        sgd.zero_grad()
        loss, acc = loss_and_accuracy(x, y)
        if not math.isfinite(loss.item()):
            raise SystemExit(f"the loss became {{loss.item()}} at step {{k + 1}}: lower the rate")
        loss.backward()
        report(k + 1, loss.item(), acc)  # the figures of the weights this step started from
        for group in sgd.param_groups:
            group["lr"] = learning_rate(k)
        sgd.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=0, help="train this many more steps")
    parser.add_argument("--save", metavar="FILE", help="write the state_dict (torch.save)")
    args = parser.parse_args()
    if args.steps < 0:
        parser.error("--steps must be 0 or more")
    if args.save is not None:  # before any training: a bad name loses nothing
        folder = pathlib.Path(args.save).parent
        if not args.save:
            parser.error("--save: give a file name, e.g. model.pt")
        if pathlib.Path(args.save).is_dir() or args.save.endswith("/"):
            parser.error(f"--save: {{args.save}} is a folder, not a file name")
        if not folder.is_dir():
            parser.error(f"--save: no folder {{folder}} to write {{args.save}} into")
    if args.steps:
        train(args.steps)
    else:
        with torch.no_grad():
            loss, acc = loss_and_accuracy(*as_tensors(X_TRAIN, Y_TRAIN))
        report(STEP, loss.item(), acc)
    if args.save is not None:
        try:
            torch.save(model.state_dict(), args.save)
        except (OSError, RuntimeError) as exc:  # one line, not a traceback
            raise SystemExit(f"--save: cannot write {{args.save}}: {{exc}}") from None


if __name__ == "__main__":
    main()
'''


def _rows(items, per_line):
    """A list literal, `per_line` items to a line (JSON, which Python reads as is)."""
    if not items:
        return "[]"
    lines = [
        "    " + ", ".join(json.dumps(v) for v in items[i : i + per_line]) + ","
        for i in range(0, len(items), per_line)
    ]
    return "[\n" + "\n".join(lines) + "\n]"


def _weights(layers):
    body = ",\n".join(
        "    [\n" + ",\n".join(f"        {json.dumps(row)}" for row in rows) + ",\n    ]"
        for rows in layers
    )
    return "[\n" + body + ",\n]"


def _modules(model):
    sizes = [model.nin, *model.nouts]
    lines = []
    for n_in, n_out, act in zip(sizes[:-1], sizes[1:], model.activations, strict=True):
        lines.append(f"    torch.nn.Linear({n_in}, {n_out}),")
        if ACTIVATION[act].torch:
            lines.append(f"    {ACTIVATION[act].torch},")
    return "\n".join(lines)


# Activations torch.nn has no module for: the script defines them before the network.
MODULE_CLASSES = {
    "Sine()": '''

class Sine(torch.nn.Module):
    """sin(x), element by element (torch.nn has no module for it)."""

    def forward(self, x):
        return torch.sin(x)


''',
}


def _module_classes(model):
    used = {ACTIVATION[act].torch for act in model.activations}
    return "".join(code for module, code in MODULE_CLASSES.items() if module in used)


def _summary(config, data):
    hidden = ",".join(map(str, config.layers)) or "no hidden layer"
    n_points = len(data.x_train) + len(data.x_test)
    return f"{n_points} points, hidden layers {hidden}, {config.loss} loss"


# The script's accuracy figure, as mgdesk's (train.losses.accuracy / r_squared).
FIGURE_CODE = {
    "sign": """\
    correct = ((s > 0) == (y > 0)).sum().item()
    figure = correct / len(y)""",
    "argmax": """\
    correct = (s.argmax(dim=1) == y).sum().item()
    figure = correct / len(y)""",
    "r2": """\
    residual, spread = ((s - y) ** 2).sum().item(), ((y - y.mean()) ** 2).sum().item()
    figure = None if spread == 0 else 1.0 - residual / spread  # undefined for equal targets""",
}
FIGURE_DOC = {
    "sign": "the share of points whose score has the label's sign (0 is -1)",
    "argmax": "the share of points whose largest score is at their class (the first of equals)",
    "r2": "R squared, 1 - sum((s - y)^2) / sum((y - mean y)^2) (regression's accuracy)",
}
LABELS_DOC = {
    "sign": "labels -1 / +1: the score's sign is the class",
    "argmax": "classes 0..K-1: the largest of the K scores is the class",
    "r2": "the targets y of a regression over x (points (x, 0))",
}
FEATURE_CODE = {  # as mgdesk.train.features computes them
    "x1": "x1",
    "x2": "x2",
    "x1^2": "x1 * x1",
    "x2^2": "x2 * x2",
    "x1*x2": "x1 * x2",
    "sin(x1)": "torch.sin(x1)",
    "sin(x2)": "torch.sin(x2)",
}


def _figure(config):
    if config.task == "regression":
        return "r2"
    return "argmax" if config.loss == "ce" else "sign"


def torch_script(config, model, data, step=0, velocity=(), filename="model.py"):
    """The text of the PyTorch script for this network, its data and optimizer state.

    `step`: updates already made (the schedule goes on from there); `velocity`: the
    optimizer's state in `model.parameters()` order (() when none was saved).
    """

    for point in data.x_train + data.x_test:  # points are numbers, never text
        if len(point) != 2 or not all(isinstance(v, float | int) for v in point):
            raise ValueError("every point must be two numbers")
    name = Path(str(filename)).name
    return TEMPLATE.format(
        summary=_summary(config, data),
        filename=name if name.isascii() and name.isprintable() and '"' not in name else "model.py",
        dataset=repr(str(data.name)),
        x_train=_rows([list(map(float, p)) for p in data.x_train], 2),
        y_train=_rows(list(map(float, data.y_train)), 12),
        x_test=_rows([list(map(float, p)) for p in data.x_test], 2),
        y_test=_rows(list(map(float, data.y_test)), 12),
        weights=_weights(model.to_dict()["weights"]),
        velocity=_rows(list(map(float, velocity)), 4),
        step=int(step),
        lr=float(config.lr),
        lr_decay=repr(config.lr_decay),
        decay_steps=int(config.decay_steps or config.steps),
        optimizer=config.optimizer,
        momentum=float(config.momentum),
        l2=float(config.l2),
        batch_size=int(config.batch_size),
        seed=int(config.seed),
        modules=_modules(model),
        module_classes=_module_classes(model),
        loss_code=LOSS_CODE[config.loss],
        score_slice="" if config.loss == "ce" else "[:, 0]",
        figure_code=FIGURE_CODE[_figure(config)],
        figure_doc=FIGURE_DOC[_figure(config)],
        labels_doc=LABELS_DOC[_figure(config)],
        feature_names=", ".join(config.input_features),
        feature_code=", ".join(FEATURE_CODE[f] for f in config.input_features),
    )


def session_data(session, name="the session"):
    """The session's points: those saved in it, or made again from its settings (a CSV
    session reads its file). SessionError says why they cannot be had."""
    data = getattr(session, "data", None)
    if data is not None:
        return data
    try:
        return make_dataset(session.config)
    except ConfigError as exc:
        raise SessionError(f"{name}: its points cannot be read: {exc.message}") from None


def export_torch_script(path, session, data=None):
    """Write `torch_script` for a loaded Session (mgdesk.io.load_session) to `path`."""
    data = data if data is not None else session_data(session)
    step = session.history[-1].step if session.history else 0
    text = torch_script(session.config, session.model, data, step, session.velocity, path)
    _write_text(path, text)


# ---- mgdesk export-torch ----


def add_export_torch_parser(subparsers):
    p = subparsers.add_parser(
        "export-torch",
        help="write a PyTorch script holding a session's network, data and optimizer",
        description="Write one self-contained PyTorch script (it needs only torch) that holds "
        "the session's network, weights, points, loss, L2, optimizer state and schedule: "
        "`python model.py` prints the loaded weights' loss and accuracy, `--steps N` trains "
        "on with torch.optim, `--save model.pt` writes the state_dict.",
    )
    p.add_argument("session", metavar="SESSION.json", help="a session saved by mgdesk")
    p.add_argument("--out", required=True, metavar="FILE", help="the script to write (model.py)")
    p.set_defaults(run=run_export_torch)
    return p


def run_export_torch(args):
    """Raises SessionError (one line, exit 2 in the CLI) for a bad session or output."""
    session = load_session(args.session)
    data = session_data(session, Path(args.session).name)
    out = Path(args.out)
    if out.suffix != ".py":
        raise SessionError(f"--out: {out.name} should end in .py (it is a Python script)")
    try:
        check_writable(out)
        export_torch_script(out, session, data)
    except SessionError as exc:
        raise SessionError(f"--out: {exc}") from None
    print(f"wrote {out}: run it with  python {out.name}  (needs torch)")
    if restarted_state(session):
        error_line("export-torch", f"{Path(args.session).name}: {restarted_state(session)}", "note")
    return 0
