"""How fast is one training step? The fast path against PyTorch, in one run.

Workload (issue 10): two-moons points (noise 0.1), MLP(2, [h, h, 1]) with ReLU, hinge loss
+ L2 1e-4 (alpha * sum(p*p) over all parameters), SGD; one step = forward over all points
(full batch), backward, update. Sizes 16,16 x 100 (micrograd's demo), 32,32 x 240,
64,64 x 1000 and 256,256 x 1000. Engines, all float64:

    fast      mgdesk.engine.FastMLP: the chain rule a layer at a time, on NumPy arrays
    trainer   mgdesk.train.Trainer.step_once: the fast path plus what a step reports
    PyTorch   the same network, loss and SGD, its default threads (if installed)
    plain     mgdesk.engine.Value, one node per operation (what the graph view draws)
    closure   benchmarks/baseline_engine.py, micrograd's closure-per-op engine

The plain and closure engines run only where a step takes at most a second or so. Each
figure is the median of several timed blocks after a warm-up; fast and PyTorch alternate
block by block so that a change in the machine's load hits both. Then, from outside:
`mgdesk train --quiet` for 2,000 steps minus a 1-step run, per step; the decision grid; and
the longest step a stop request may have to wait for, at the largest allowed sizes.

    .venv/bin/python benchmarks/bench_engine.py [--quick]
"""

import argparse
import gc
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # baseline_engine
sys.path.insert(0, str(HERE.parent))  # mgdesk without install

import baseline_engine  # noqa: E402
import numpy as np  # noqa: E402

from mgdesk.engine import MLP, FastMLP  # noqa: E402
from mgdesk.train import LOSSES, TrainConfig, Trainer, make_dataset  # noqa: E402
from mgdesk.train.config import MAX_VALUE_WORK, MAX_WORK, count_weights  # noqa: E402
from mgdesk.train.trainer import decision_grid, decision_grid_bands, neuron_grids  # noqa: E402

ALPHA = 1e-4  # L2 strength
LR = 0.05
SIZES = [((16, 16), 100), ((32, 32), 240), ((64, 64), 1000), ((256, 256), 1000)]
DEMO = SIZES[0]
PLAIN_UP_TO = 240  # samples: beyond, a plain Value step takes seconds
CLOSURE_UP_TO = 100


def moons(n):
    data = make_dataset(TrainConfig(samples=n, test_split=0, seed=1))
    return data.x_train, data.y_train


# ---- one training step per engine ----


def graph_step(model, X, Y):
    """micrograd's demo step; works for the closure engine and for mgdesk's plain Value."""
    value = type(model.parameters()[0])
    scores = [model(list(map(value, x))) for x in X]
    losses = [(1 + -y * s).relu() for y, s in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    params = model.parameters()
    loss = data_loss + ALPHA * sum(p * p for p in params)
    model.zero_grad()
    loss.backward()
    for p in params:
        p.data -= LR * p.grad
    return loss.data


def fast_stepper(model, X, Y):
    fast, hinge = FastMLP(model), LOSSES["hinge"]
    X, Y = np.array(X), np.array(Y)
    theta, grad = fast.theta, fast.grad

    def step():
        scores = fast.forward(X)[:, 0]
        loss, d_scores = hinge.mean_and_grad(scores, Y)
        fast.backward(d_scores[:, None])
        loss += ALPHA * float(theta @ theta)
        grad[:] += (2 * ALPHA) * theta  # (in place: the arrays are the model's weights)
        theta[:] -= LR * grad
        return loss

    return step


def trainer_stepper(hidden, n):
    config = TrainConfig(
        samples=n, layers=hidden, test_split=0, seed=1, l2=ALPHA, lr=LR, lr_decay="none"
    )
    config = config.replace(steps=1_000_000)
    return Trainer(config, model=MLP(2, [*hidden, 1], seed=0)).step_once


def torch_stepper(model, X, Y):
    """The same network and starting weights in PyTorch, as a PyTorch user writes it."""
    import torch

    layers = []
    for layer in model.layers:
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons]))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons]))
        layers += [linear, torch.nn.ReLU()]
    net = torch.nn.Sequential(*layers[:-1])  # the output layer is linear
    params = list(net.parameters())
    xs, ys = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)

    def step():
        scores = net(xs)[:, 0]
        loss = (1 - ys * scores).relu().mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    return step


# ---- timing ----


def block_ms(step, k):
    t0 = time.perf_counter()
    for _ in range(k):
        step()
    return 1000 * (time.perf_counter() - t0) / k


def steps_per_block(step, budget=0.05):
    """How many steps make a block of about `budget` seconds (at least 1)."""
    ms = block_ms(step, 1)
    return max(1, int(budget * 1000 / max(ms, 1e-3)))


def alternate(steppers, blocks):
    """Median ms per step of each stepper, timed in alternating blocks."""
    sizes = {}
    for name, step in steppers.items():
        step()  # warm-up
        sizes[name] = steps_per_block(step)
    times = {name: [] for name in steppers}
    for _ in range(blocks):
        for name, step in steppers.items():
            times[name].append(block_ms(step, sizes[name]))
    return {name: statistics.median(t) for name, t in times.items()}


def median_ms(step, repeats):
    gc.collect()  # earlier garbage is not this engine's cost
    step()  # warm-up
    return statistics.median(block_ms(step, 1) for _ in range(repeats))


# ---- from outside: the command line ----


def cli_seconds(hidden, n, steps, env=None):
    command = [sys.executable, "-m", "mgdesk", "train", "--quiet", "--steps", str(steps)]
    command += ["--samples", str(n), "--test-split", "0", "--layers", ",".join(map(str, hidden))]
    env = {**os.environ, **(env or {})}
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=HERE.parent, env=env)
    return time.perf_counter() - t0


def cli_ms_per_step(hidden, n, steps=2000, repeats=3, env=None):
    long = min(cli_seconds(hidden, n, steps, env) for _ in range(repeats))
    short = min(cli_seconds(hidden, n, 1, env) for _ in range(repeats))
    return 1000 * (long - short) / (steps - 1)


# ---- the rest that evaluates the network in bulk, and the longest step ----


def grid_ms(hidden, resolution=100, repeats=20):
    model = MLP(2, [*hidden, 1], seed=0)
    bounds = (-2.0, 3.0, -1.5, 2.0)
    whole = min(
        block_ms(lambda: decision_grid(model, bounds, resolution), 1) for _ in range(repeats)
    )
    banded = min(
        block_ms(lambda: list(decision_grid_bands(model, bounds, resolution)), 1)
        for _ in range(repeats)
    )
    neurons = min(
        block_ms(lambda: neuron_grids(model, bounds, resolution), 1) for _ in range(repeats)
    )
    return whole, banded, neurons


def longest_steps():
    """(what, ms) of single steps at the largest sizes the work limits allow."""
    rows = []
    for engine, hidden, limit in [
        ("fast", (256, 256), MAX_WORK),
        ("fast", (256,) * 8, MAX_WORK),
        ("fast", (2,), MAX_WORK),
        ("value", (16, 16), MAX_VALUE_WORK),
        ("value", (256,), MAX_VALUE_WORK),
    ]:
        n = min(10_000, limit // count_weights(hidden))
        # tanh: eight ReLU layers of uniform(-1, 1) weights overflow to inf at once
        config = TrainConfig(samples=n, layers=hidden, activation="tanh", test_split=0, steps=10)
        trainer = Trainer(config, engine=engine)
        trainer.step_once()
        ms = min(block_ms(trainer.step_once, 1) for _ in range(3))
        rows.append((f"{engine} {','.join(map(str, hidden))} x {n:,}", ms))
    X, _ = moons(10_000)
    step = fast_stepper(MLP(2, [256, 256, 1], seed=0), X, [1.0] * len(X))
    step()
    rows.append(
        ("fast 256,256 x 10,000 (beyond MAX_WORK)", min(block_ms(step, 1) for _ in range(3)))
    )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer blocks, no CLI runs")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(20_000)  # micrograd's recursive sort on the demo's deep L2 sum
    blocks = 3 if args.quick else 7
    data = {n: moons(n) for _, n in SIZES}

    # The GC-sensitive engines first, before PyTorch's import fills the heap.
    slow = {}
    for hidden, n in SIZES:
        X, Y = data[n]
        row = {}
        if n <= CLOSURE_UP_TO:
            base = baseline_engine.MLP(2, [*hidden, 1], rng=random.Random(0))
            row["closure"] = median_ms(lambda b=base, X=X, Y=Y: graph_step(b, X, Y), 3)
            gc.collect()  # its cyclic garbage is not the next engine's cost
        if n <= PLAIN_UP_TO:
            plain = MLP(2, [*hidden, 1], seed=0)
            repeats = 3 if n > 100 else 7
            row["plain"] = median_ms(lambda m=plain, X=X, Y=Y: graph_step(m, X, Y), repeats)
        slow[(hidden, n)] = row
    config = TrainConfig(samples=DEMO[1], test_split=0, seed=1, l2=ALPHA, lr=LR, lr_decay="none")
    plain_trainer = Trainer(config.replace(steps=1_000_000), engine="value")
    slow[DEMO]["plain trainer"] = median_ms(plain_trainer.step_once, 7)

    try:
        import torch

        threads = torch.get_num_threads()
    except ImportError:
        torch, threads = None, 0
        print("PyTorch is not installed: no PyTorch column")
    fast_rows, agree = {}, {}
    for hidden, n in SIZES:
        X, Y = data[n]
        steppers = {
            "fast": fast_stepper(MLP(2, [*hidden, 1], seed=0), X, Y),
            "trainer": trainer_stepper(hidden, n),
        }
        if torch is not None:
            steppers["PyTorch"] = torch_stepper(MLP(2, [*hidden, 1], seed=0), X, Y)
            check_fast = fast_stepper(MLP(2, [*hidden, 1], seed=0), X, Y)
            check_torch = torch_stepper(MLP(2, [*hidden, 1], seed=0), X, Y)
            pairs = [(check_fast(), check_torch()) for _ in range(5)]
            agree[(hidden, n)] = max(abs(a - b) / max(abs(b), 1e-300) for a, b in pairs)
        fast_rows[(hidden, n)] = alternate(steppers, blocks)

    print(
        f"python {sys.version.split()[0]}, numpy {np.__version__}"
        + (f", torch {torch.__version__} ({threads} threads)" if torch else "")
        + f"; hinge + L2 {ALPHA}, SGD, full batch, float64; ms per step (median)"
    )
    if hasattr(os, "getloadavg"):
        print(f"1-minute load average {os.getloadavg()[0]:.2f} (this run adds ~1)")
    header = f"{'network x samples':20s}{'fast':>9s}{'trainer':>9s}{'PyTorch':>9s}"
    header += f"{'torch/fast':>11s}{'plain':>9s}{'closure':>10s}{'closure/fast':>13s}"
    print("\n" + header)
    for hidden, n in SIZES:
        row = {**slow[(hidden, n)], **fast_rows[(hidden, n)]}
        fast, torch_ms = row["fast"], row.get("PyTorch")

        def cell(value, width, digits=3):
            return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}s}"

        ratio = torch_ms / fast if torch_ms else None
        closure_ratio = row["closure"] / fast if "closure" in row else None
        print(
            f"{f'{hidden[0]},{hidden[1]} x {n}':20s}{cell(fast, 9)}{cell(row['trainer'], 9)}"
            f"{cell(torch_ms, 9)}{cell(ratio, 10, 2)}x{cell(row.get('plain'), 9, 1)}"
            f"{cell(row.get('closure'), 10, 0)}{cell(closure_ratio, 12, 0)}x"
        )
    if agree:
        worst = max(agree.values())
        print(f"fast and PyTorch losses over 5 steps agree to {worst:.1e} (relative)")

    demo = {**slow[DEMO], **fast_rows[DEMO]}
    plain_x = demo["closure"] / demo["plain"]
    trainer_x = demo["closure"] / demo["plain trainer"]
    print(
        f"\nplain Value vs closure engine at the demo: {plain_x:.1f}x (cyclic GC on); "
        f"Trainer(engine='value'), which pauses the GC while it builds: {trainer_x:.1f}x"
    )

    whole, banded, neurons = grid_ms((16, 16))
    print(
        f"decision grid 100x100 at 16,16: {whole:.2f} ms whole, {banded:.2f} ms in bands of 8 "
        f"rows; every hidden neuron's grid: {neurons:.2f} ms"
    )
    print("\nlongest single steps (a stop request waits at most one, or for the plain")
    print("engine the backward pass after the sample it is on)")
    longest = longest_steps()
    for what, ms in longest:
        print(f"  {what:44s} {ms:8.1f} ms")

    cli = {}
    if not args.quick:
        print("\nfrom outside: mgdesk train --quiet, (2,000 steps - 1 step) / 1,999")
        for hidden, n in (SIZES[0], SIZES[2]):
            cli[(hidden, n)] = cli_ms_per_step(hidden, n)
            torch_ms = fast_rows[(hidden, n)].get("PyTorch")
            torch_text = f" (PyTorch in-process {torch_ms:.3f} ms)" if torch_ms else ""
            print(f"  {hidden[0]},{hidden[1]} x {n}: {cli[(hidden, n)]:.3f} ms/step{torch_text}")
            # OpenBLAS's second thread waits for a core when the machine is busy
            one = cli_ms_per_step(hidden, n, env={"OPENBLAS_NUM_THREADS": "1"})
            print(f"    with OPENBLAS_NUM_THREADS=1: {one:.3f} ms/step")

    print("\ntargets")
    checks = []
    for (hidden, n), row in fast_rows.items():
        if "PyTorch" not in row:
            continue
        bound = 1.0 if n <= 240 else 1.3
        text = "faster than" if bound == 1.0 else "within 1.3x of"
        ratio = row["fast"] / row["PyTorch"]
        checks.append((ratio < bound, f"fast {text} PyTorch at {hidden} x {n}: {ratio:.2f}"))
    for (hidden, n), ms in cli.items():
        torch_ms = fast_rows[(hidden, n)].get("PyTorch")
        if torch_ms:
            bound = 1.0 if n <= 240 else 1.3
            checks.append(
                (ms < bound * torch_ms, f"CLI per step vs PyTorch at {hidden} x {n}: "
                 f"{ms:.3f} / {torch_ms:.3f} ms")
            )  # fmt: skip
    fast_x = demo["closure"] / demo["fast"]
    checks += [
        (fast_x >= 2000, f"fast >= 2,000x the closure engine at the demo: {fast_x:,.0f}x"),
        (plain_x >= 20, f"plain Value >= 20x the closure engine at the demo: {plain_x:.1f}x"),
        (whole <= 5, f"decision grid 100x100 at 16,16 <= 5 ms: {whole:.2f} ms"),
        (
            max(ms for _, ms in longest[:-1]) <= 500,
            f"longest allowed step <= 0.5 s: {max(ms for _, ms in longest[:-1]):.0f} ms",
        ),
        (longest[-1][1] <= 500, f"256,256 x 10,000 step <= 0.5 s: {longest[-1][1]:.0f} ms"),
    ]
    for ok, text in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")
    if not math.isfinite(fast_x):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
