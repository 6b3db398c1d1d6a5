"""`mgdesk gradcheck`: the gradients of a network checked against finite differences, the
fast path and PyTorch (when installed), within bounds that keep a check to seconds."""

import random

from mgdesk.cli.common import add_config_arguments, config_changes, count, number_in
from mgdesk.train import ConfigError, make_dataset, new_model
from mgdesk.train.config import InspectConfig
from mgdesk.train.features import feature_values
from mgdesk.viz.gradcheck import EXACT_TOLERANCE, check_network, rounding_noise

__all__ = ["add_gradcheck_parser", "run_gradcheck"]

SAMPLES_CHECKED = 20
PARAMS_CHECKED = 300
GRADCHECK_DEFAULTS = {"samples": 8, "layers": "4,4", "activation": "tanh"}
# A central difference below 1e-10 is all rounding. Its own error grows as eps**2 (times the
# third derivative): at 1e-2 it is already above the default tolerance on correct gradients.
EPS_RANGE = (1e-10, 1e-3)
# Finite differences cannot tell apart gradients closer than their rounding noise,
# rounding_noise(loss, eps): relative to a loss and gradients of about 1, at least this.
ROUNDING_LOSS = 1.0
# Bounds that keep every check to a few seconds, in multiply-adds: the Value graph (points
# checked x weights, ~1 s) and the nudged float passes (parameters checked x weights x
# (points + 2), ~2 s). Bigger networks are refused: their Value graph alone takes long.
VALUE_BUDGET = 150_000
NUDGE_BUDGET = 30_000_000
MAX_CHECK_WEIGHTS = 70_000


def add_gradcheck_parser(sub):
    check = sub.add_parser("gradcheck", help="check gradients against finite differences")
    add_config_arguments(
        check,
        exclude=("test_split", "lr", "lr_decay", "momentum", "batch_size", "steps"),
        defaults=GRADCHECK_DEFAULTS,
    )
    check.add_argument(
        "--eps",
        type=number_in(*EPS_RANGE),
        default=1e-5,
        help=f"finite-difference step, above {EPS_RANGE[0]:g}, at most {EPS_RANGE[1]:g} (1e-5)",
    )
    check.add_argument(
        "--tolerance",
        type=number_in(0, 1),
        default=1e-4,
        help="largest relative error allowed, at most 1, and no less than finite differences "
        "can resolve at --eps (about 1e-10 at 1e-5) (1e-4)",
    )
    check.add_argument(
        "--samples-checked",
        type=count,
        default=SAMPLES_CHECKED,
        metavar="N",
        help=f"check the loss over at most N of the points, a seeded choice ({SAMPLES_CHECKED})",
    )
    check.add_argument(
        "--params-checked",
        type=count,
        default=PARAMS_CHECKED,
        metavar="N",
        help="finite differences for at most N parameters, a seeded choice "
        f"({PARAMS_CHECKED}; fewer for big networks, so a check takes seconds)",
    )
    check.set_defaults(run=run_gradcheck, **GRADCHECK_DEFAULTS)


def run_gradcheck(args):
    # gradcheck never trains on the whole dataset: the training work limit does not apply,
    # its own bounds below do
    resolved = rounding_noise(ROUNDING_LOSS, args.eps)
    if args.tolerance < resolved:
        raise ConfigError(
            "tolerance",
            f"at --eps {args.eps:g}, finite differences cannot resolve a relative error below "
            f"{resolved:.1e} (rounding): give {resolved:.1e} to 1, or a larger --eps",
        )
    config = InspectConfig(**config_changes(args), test_split=0)
    model = new_model(config)
    params = model.parameters()
    if len(params) > MAX_CHECK_WEIGHTS:
        raise ConfigError(
            "layers",
            f"gradcheck takes networks of up to {MAX_CHECK_WEIGHTS:,} weights (got "
            f"{len(params):,}): its Value graph would take too long",
        )
    data = make_dataset(config)
    rng = random.Random(config.seed)
    n_points = min(args.samples_checked, len(data.x_train), max(1, VALUE_BUDGET // len(params)))
    picked = sorted(rng.sample(range(len(data.x_train)), n_points))
    features = config.input_features  # the network's inputs for each point
    X = [feature_values(features, data.x_train[i]) for i in picked]
    Y = [data.y_train[i] for i in picked]
    n_nudged = max(1, NUDGE_BUDGET // (len(params) * (n_points + 2)))
    n_nudged = min(args.params_checked, len(params), n_nudged)
    nudged = sorted(rng.sample(range(len(params)), n_nudged))
    report = check_network(
        model, X, Y, config.loss, config.l2, args.eps, args.tolerance, checked=nudged
    )
    checks = [
        (f"finite differences (eps {args.eps:g})", report.fd_error, args.tolerance),
        ("fast path vs Value graph", report.fast_error, EXACT_TOLERANCE),
        ("PyTorch float64", report.torch_error, EXACT_TOLERANCE if report.torch_used else None),
    ]
    hidden = ",".join(map(str, config.layers)) or "none"
    print(
        f"gradcheck: hidden layers {hidden} ({'/'.join(config.layer_activations()[:-1]) or '-'})"
        f", {config.loss} loss + L2 {config.l2:g} over {n_points} of {len(data.x_train)} "
        f"{config.dataset} points (seed {config.seed}), {len(params):,} parameters"
    )
    for name, error, limit in checks:
        if limit is None:
            print(f"  {name:<31} not installed, skipped (pip install torch==2.13.0)")
            continue
        if error is None:
            print(f"  {name:<31} every checked parameter was skipped (see below)  FAILED")
            continue
        verdict = "ok" if error <= limit else "ABOVE THE LIMIT"  # NaN is not <= anything
        print(f"  {name:<31} max relative error {error:.1e}  limit {limit:.0e}  {verdict}")
    if n_nudged < len(params):
        print(
            f"  finite differences checked {n_nudged:,} of {len(params):,} parameters, a "
            "seeded random choice (the other checks cover all of them)"
        )
    if report.noise > 1e-8:
        print(
            f"  finite differences within {report.noise:.1e}, their rounding noise at loss "
            f"{report.loss:.3g} and eps {args.eps:g}, were not counted (a larger --eps "
            "lowers it)"
        )
    if report.fd_error is not None and not report.fd_error <= args.tolerance and args.eps > 1e-4:
        print(
            f"  at eps {args.eps:g}, central differences are themselves off by about eps² "
            "times the third derivative: try a smaller --eps (1e-5) before doubting the "
            "gradients"
        )
    if report.skipped:
        print(
            f"  {len(report.skipped)} parameters skipped by finite differences: a ReLU input "
            f"is at its kink (0), where the derivative is undefined, and a nudge of "
            f"±{args.eps:g} crossed it"
        )
    print("OK" if report.ok else "FAILED")
    return 0 if report.ok else 1
