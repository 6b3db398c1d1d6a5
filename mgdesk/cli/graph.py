"""`mgdesk graph`: write the computational graph of one sample after a backward pass.

mgdesk graph --layers 8,8 --open L1.N2 --out graph.svg   (the worst-classified point)
mgdesk graph --load run.json --sample 3 --out graph.png      (also .dot)

The network view: one box per neuron; `--open` opens neurons, layers or `all` into their
operations. Graph does not train, so the training work limit does not apply; its own cost
(one sample's Value graph, and the scan for the worst point) is bounded below.
"""

from pathlib import Path

from mgdesk.cli.common import add_config_arguments, check_kept_classes, infer_task
from mgdesk.io import (
    SessionError,
    check_outputs,
    error_line,
    file_name_argument,
    load_session,
    session_inputs,
    write_file,
)
from mgdesk.train import (
    ConfigError,
    make_dataset,
    new_model,
    parse_layers,
)
from mgdesk.train.config import InspectConfig, count_weights
from mgdesk.viz.dot import format_number, to_dot
from mgdesk.viz.network import (
    choose_open,
    network_groups,
    parse_open,
    trace_network,
)
from mgdesk.viz.program import RENDERERS, RenderError
from mgdesk.viz.renderer import VIEWS, GraphRenderer
from mgdesk.viz.svg import LayoutError
from mgdesk.viz.trace import quiet_caption, trace_sample, worst_sample

__all__ = ["add_graph_parser", "run_graph"]

FORMATS = (".svg", ".dot", ".png")
NOT_FOR_GRAPH = (
    "test_split",
    "l2",
    "lr",
    "lr_decay",
    "optimizer",
    "momentum",
    "batch_size",
    "steps",
)
MAX_GRAPH_WEIGHTS = 100_000  # one sample's Value graph: ~3 nodes a weight, about a second
SCAN_WORK = 20_000_000  # multiply-adds spent looking for the worst point (~2 s at most)


def add_graph_parser(subparsers):
    p = subparsers.add_parser("graph", help="draw one sample's computational graph")
    # The network and data settings, with train's names, help and ranges (graph trains not)
    add_config_arguments(p, exclude=NOT_FOR_GRAPH)
    p.add_argument(
        "--load", type=file_name_argument, metavar="FILE", help="use the network of a saved session"
    )
    p.add_argument(
        "--sample",
        default="worst",
        metavar="worst|N",
        help="training point N, or worst: the one with the largest loss (worst)",
    )
    p.add_argument(
        "--open",
        default="",
        metavar="L1.N2,L2",
        help="open neurons (L1.N2), whole layers (L2), loss, or all into their operations",
    )
    p.add_argument(
        "--view",
        choices=VIEWS,
        default="auto",
        help="auto (neurons, opened where readable), neurons (closed), ops (all open)",
    )
    p.add_argument("--renderer", default="auto", help="auto, bundled, system, or a dot path")
    p.add_argument("--timeout", type=float, default=60.0, help="layout time limit, s (60)")
    p.add_argument(
        "--out", type=file_name_argument, required=True, metavar="FILE",
        help="graph.svg, .dot or .png (replaced only once the drawing is done)",
    )  # fmt: skip
    p.set_defaults(run=run_graph)
    return p


def _config(args):
    """(config, MLP, Dataset, Session or None) from the options, or from the session in
    --load.

    An InspectConfig: graph takes no training step, so the training work limit
    ("...use a batch size") does not apply; `_check_size` bounds graph's own cost."""
    changes = {
        k: getattr(args, k)
        for k in ("loss", "dataset", "task", "samples", "noise", "classes", "seed")
        if getattr(args, k) is not None
    }
    if args.layers is not None:
        changes["layers"] = parse_layers(args.layers)
    if args.activation is not None:
        names = tuple(n.strip() for n in args.activation.split(","))
        changes["activation"] = names[0] if len(names) == 1 else names
    if args.features is not None:
        changes["features"] = args.features
    if not args.load:
        infer_task(changes)
        config = InspectConfig(**changes)
        _check_size(config)
        return config, new_model(config), make_dataset(config), None
    for field in ("layers", "activation", "features", "task"):
        if field in changes:
            raise ConfigError(field, "cannot change the network of a loaded session")
    session = load_session(args.load)
    check_kept_classes(session.config, changes)
    config = InspectConfig(**{**session.config.to_dict(), **changes})
    if config.outputs != session.config.outputs:
        raise ConfigError("loss", "cannot change the network's outputs of a loaded session")
    data_changed = any(field != "loss" for field in changes)
    if session.data is not None and not data_changed:
        return config, session.model, session.data, session  # the points it trained on
    return config, session.model, make_dataset(config), session


def _check_size(config):
    weights = count_weights(config.layers, config.outputs, len(config.input_features))
    if weights > MAX_GRAPH_WEIGHTS:
        raise ConfigError(
            "layers",
            f"the graph of one sample through {weights:,} weights is above graph's limit of "
            f"{MAX_GRAPH_WEIGHTS:,}: use smaller layers",
        )


def _sample(config, model, data, text):
    """(index, x, y, note) of the traced training point: N, or the worst one."""
    n = len(data.x_train)
    if text.strip().lower() == "worst":
        weights = count_weights(config.layers, config.outputs, len(config.input_features))
        scanned = max(1, min(n, SCAN_WORK // weights))
        X, Y = data.x_train[:scanned], data.y_train[:scanned]
        index = worst_sample(model, X, Y, config.loss, config.input_features)
        note = "the worst point" if scanned == n else f"the worst of the first {scanned:,} points"
        return index, data.x_train[index], data.y_train[index], note
    try:
        index = int(text)
    except ValueError:
        raise ConfigError("sample", f"give worst or a point number (got {text[:40]!r})") from None
    if not 0 <= index < n:
        raise ConfigError("sample", f"must be from 0 to {n - 1} (the training set has {n} points)")
    return index, data.x_train[index], data.y_train[index], ""


_FLAGS = {"csv_path": "csv"}


def _error(message):
    error_line("graph", message)


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
        config, model, data, session = _config(args)
        # checked before any drawing: --out is no input, and can be written
        inputs = [("--load", args.load), *session_inputs("--load", session)]
        check_outputs(inputs, [("--out", args.out)])
        index, x, y, note = _sample(config, model, data, args.sample)
    except (ConfigError, SessionError) as exc:
        field = getattr(exc, "field", None)
        if field == "csv_path" and config_dataset(args) == "csv":
            _error("--dataset csv: graph draws a generated dataset or a --load session")
            return 2
        flag = _FLAGS.get(field, field)
        _error(f"--{flag}: {exc.message}" if field else str(exc))
        return 2
    root = trace_sample(model, x, y, config.loss, features=config.input_features).root
    renderer = GraphRenderer(args.renderer, timeout=args.timeout)
    groups = network_groups(root, model)
    try:
        asked = parse_open(args.open, groups)
    except ValueError as exc:
        _error(f"--open: {exc}")
        return 2
    opened, stacked, _ = choose_open(groups)
    if args.view == "neurons":
        opened = frozenset()
    elif args.view == "ops":
        opened = parse_open("all", groups)
    graph = trace_network(groups, opened | asked, stacked)
    message = quiet_caption(config.loss, root).replace("click a point", "use --sample with a point")
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
    except LayoutError as exc:  # an SVG, but not of this graph
        _error(f"the renderer's SVG does not draw this graph ({exc})")
        return 1
    try:
        write_file(out, content)  # through a temporary file: a failure keeps the old one
    except SessionError as exc:
        _error(str(exc))
        return 1
    regression = config.task == "regression"
    point = format_number(x[0]) if regression else f"({', '.join(format_number(v) for v in x)})"
    if config.loss == "ce":  # a class, 0..K-1
        target = f"class {y:g}"
    else:  # a regression target, or the label -1 / +1
        target = f"y={format_number(y)}" if regression else f"y={y:+g}"
    shown = sorted(opened | asked)
    what = (
        "all open"
        if shown and len(shown) == len(parse_open("all", groups))
        else (f"open: {', '.join(shown)}" if shown else "neurons closed")
    )
    print(
        f"wrote {out}: network view ({what}), {len(graph.nodes):,} nodes; sample {index}"
        + (f" ({note})" if note else "")
        + f" x={point} {target}, {config.loss} loss {format_number(root.data)}"
        + (f"; {message}" if message else "")
    )
    return 0


def config_dataset(args):
    return (args.dataset or "").strip().lower()
