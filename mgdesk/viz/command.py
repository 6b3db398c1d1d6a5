"""`mgdesk graph`: write the computational graph of one sample after a backward pass.

mgdesk graph --layers 4,4 --activation tanh --sample 0 --out graph.svg
mgdesk graph --load run.json --sample 3 --out graph.png      (also .dot)
"""

import sys
from pathlib import Path

from mgdesk.io import SessionError, load_session
from mgdesk.train import (
    ConfigError,
    TrainConfig,
    make_dataset,
    new_model,
    parse_layers,
    sample_loss,
)
from mgdesk.viz.dot import format_number, to_dot
from mgdesk.viz.program import RENDERERS, RenderError
from mgdesk.viz.renderer import VIEWS, GraphRenderer

__all__ = ["add_graph_parser", "run_graph"]

FORMATS = (".svg", ".dot", ".png")


def add_graph_parser(subparsers):
    p = subparsers.add_parser("graph", help="draw one sample's computational graph")
    p.add_argument("--layers", help='hidden layer sizes, e.g. "4,4" (default 16,16)')
    p.add_argument("--activation", help="relu, tanh or linear, or one per hidden layer")
    p.add_argument("--loss", choices=("hinge", "mse", "bce"), help="loss of the sample")
    p.add_argument("--dataset", help="moons, circles, xor, spiral or blobs (moons)")
    p.add_argument("--samples", type=int, metavar="N", help="points in the dataset (100)")
    p.add_argument("--noise", type=float, help="jitter of the points (0.1)")
    p.add_argument("--seed", type=int, help="seeds the data and the initial weights")
    p.add_argument("--load", metavar="FILE", help="use the network of a saved session")
    p.add_argument("--sample", type=int, default=0, metavar="N", help="training point N (0)")
    p.add_argument("--view", choices=VIEWS, default="auto", help="ops, neurons or auto")
    p.add_argument("--renderer", default="auto", help="auto, bundled, system, or a dot path")
    p.add_argument("--timeout", type=float, default=60.0, help="layout time limit, s (60)")
    p.add_argument("--out", required=True, metavar="FILE", help="graph.svg, .dot or .png")
    p.set_defaults(run=run_graph)
    return p


def _config(args):
    """(TrainConfig, MLP) from the options, or from the session in --load."""
    changes = {
        k: getattr(args, k)
        for k in ("loss", "dataset", "samples", "noise", "seed")
        if getattr(args, k) is not None
    }
    if args.layers is not None:
        changes["layers"] = parse_layers(args.layers)
    if args.activation is not None:
        names = tuple(n.strip() for n in args.activation.split(","))
        changes["activation"] = names[0] if len(names) == 1 else names
    if not args.load:
        config = TrainConfig(**changes)
        return config, new_model(config)
    for field in ("layers", "activation"):
        if field in changes:
            raise ConfigError(field, "cannot change the network of a loaded session")
    session = load_session(args.load)
    return session.config.replace(**changes), session.model


def _sample(config, index):
    data = make_dataset(config)
    n = len(data.x_train)
    if not 0 <= index < n:
        raise ConfigError("sample", f"must be from 0 to {n - 1} (the training set has {n} points)")
    return data.x_train[index], data.y_train[index]


def _error(message):
    print(f"mgdesk graph: error: {message}", file=sys.stderr)


def run_graph(args):
    """Draw the graph; 0 on success, 1 if drawing failed, 2 for bad options."""
    out = Path(args.out)
    if out.suffix.lower() not in FORMATS:
        _error(f"--out: the file must end in {', '.join(FORMATS)} (got {out.name})")
        return 2
    if not 0 < args.timeout <= 3600:
        _error(f"--timeout: must be above 0 and at most 3600 seconds (got {args.timeout:g})")
        return 2
    if args.renderer not in RENDERERS and not Path(args.renderer).is_file():
        _error(f"--renderer: use {', '.join(RENDERERS)} or the path of a dot program")
        return 2
    try:
        config, model = _config(args)
        x, y = _sample(config, args.sample)
    except (ConfigError, SessionError) as exc:
        field = getattr(exc, "field", None)
        _error(f"--{field}: {exc.message}" if field else str(exc))
        return 2
    root = sample_loss(model, x, y, config.loss)
    root.backward()
    renderer = GraphRenderer(args.renderer, timeout=args.timeout)
    graph, message = renderer.trace(root, model, args.view)
    try:
        if out.suffix.lower() == ".dot":
            content = to_dot(graph).encode()
        elif out.suffix.lower() == ".png":
            content = renderer.image(graph, "png")
        else:
            content = renderer.render_graph(graph, message).svg
    except RenderError as exc:
        _error(str(exc))
        return 1
    try:
        out.write_bytes(content)
    except OSError as exc:
        _error(f"cannot write {out}: {exc.strerror or exc}")
        return 1
    point = ", ".join(format_number(v) for v in x)
    view = "op" if graph.view == "ops" else "neuron"
    print(
        f"wrote {out}: {view} view, {len(graph.nodes):,} nodes; sample {args.sample} "
        f"x=({point}) y={y:+g}, {config.loss} loss {format_number(root.data)}"
        + (f" ({message})" if message else "")
    )
    return 0
