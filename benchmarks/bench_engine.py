"""How fast is one training step? Prints ms/step and the ratio to the closure baseline.

Workload (issue 2): 100 two-moons points (noise 0.1), MLP(2, [16, 16, 1]) with ReLU, hinge
loss + L2 1e-4 (alpha * sum(p*p) over all parameters); one step = forward over all points,
backward, SGD update. Also run at hidden layers 4,4 and 32,32. Engines:

    baseline  benchmarks/baseline_engine.py, closures per op (the seed's micrograd)
    plain     mgdesk.engine.Value, one node per operation (what the graph view draws)
    fast      mgdesk.engine.FastMLP, whole layers over the batch (what training uses)
    torch     PyTorch float64, when it is installed

Each figure is the median of several steps after a warm-up. Memory is measured in fresh
subprocesses, so one engine's garbage does not count against another.

    .venv/bin/python benchmarks/bench_engine.py [--repeats N] [--quick]
"""

import argparse
import gc
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # baseline_engine
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # mgdesk without install

import baseline_engine  # noqa: E402

from mgdesk.engine import MLP, FastMLP  # noqa: E402

ALPHA = 1e-4  # L2 strength
LR = 0.05
SAMPLES = 100


def make_moons(n=SAMPLES, noise=0.1, seed=1):
    """Two interleaving half circles, like sklearn's make_moons; labels -1.0 / +1.0."""
    rng = random.Random(seed)
    n_out = n // 2
    points, labels = [], []
    for i in range(n):
        outer = i < n_out
        k, count = (i, n_out) if outer else (i - n_out, n - n_out)
        t = math.pi * k / max(count - 1, 1)
        x, y = (math.cos(t), math.sin(t)) if outer else (1 - math.cos(t), 0.5 - math.sin(t))
        points.append((x + rng.gauss(0, noise), y + rng.gauss(0, noise)))
        labels.append(-1.0 if outer else 1.0)
    return points, labels


# ---- one training step per engine ----


def graph_step(model, X, Y):
    """micrograd's demo step; works for the baseline and for mgdesk's plain Value path."""
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


def hinge(Y):
    """loss_grad for FastMLP: mean hinge loss over one output unit, and its gradient."""
    n = len(Y)

    def loss_grad(outputs):
        (scores,) = outputs
        margins = [1.0 - y * s for y, s in zip(Y, scores)]
        loss = sum(m for m in margins if m > 0) / n
        return loss, [[-y / n if m > 0 else 0.0 for y, m in zip(Y, margins)]]

    return loss_grad


def fast_step(fast, params, X, loss_grad):
    for p in params:
        p.grad = 0.0
    loss, _ = fast.loss_and_backward(X, loss_grad)
    loss += ALPHA * sum(p.data * p.data for p in params)
    for p in params:
        p.grad += 2 * ALPHA * p.data
        p.data -= LR * p.grad
    return loss


def torch_stepper(hidden, X, Y):
    import torch

    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)  # tensors this small only lose time to thread hand-offs
    gen = torch.Generator().manual_seed(0)
    sizes = [2, *hidden, 1]
    params = []
    for nin, nout in zip(sizes, sizes[1:]):
        params.append((torch.rand(nout, nin, generator=gen) * 2 - 1).requires_grad_())
        params.append(torch.zeros(nout, requires_grad=True))
    xs, ys = torch.tensor(X), torch.tensor(Y)

    def step():
        a = xs
        for i in range(0, len(params), 2):
            a = a @ params[i].T + params[i + 1]
            if i < len(params) - 2:
                a = a.relu()
        loss = (1 - ys * a[:, 0]).relu().mean() + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return loss.item()

    return step


def steppers(hidden, X, Y):
    """name -> a function doing one training step on a freshly initialised model."""
    nouts = [*hidden, 1]
    base = baseline_engine.MLP(2, nouts, rng=random.Random(0))
    plain = MLP(2, nouts, activation="relu", seed=0)
    fast_model = MLP(2, nouts, activation="relu", seed=0)
    fast, params, loss_grad = FastMLP(fast_model), fast_model.parameters(), hinge(Y)
    return {
        "baseline": lambda: graph_step(base, X, Y),
        "plain Value": lambda: graph_step(plain, X, Y),
        "FastMLP": lambda: fast_step(fast, params, X, loss_grad),
    }


def median_ms(step, repeats):
    gc.collect()  # earlier garbage is not this engine's cost
    step()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


# ---- preparation and memory, in fresh processes ----


def status_mb(key):
    """From /proc (Linux): VmRSS is the resident set now, VmHWM this program's peak."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # elsewhere ru_maxrss (kB on Linux, bytes on macOS); it can include the parent's peak
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def measure_here(engine, hidden, steps):
    """Run in a fresh process: time to a first step, then `steps` more; print JSON."""
    X, Y = make_moons()
    t0 = time.perf_counter()
    model = MLP(2, [*hidden, 1], activation="relu", seed=0)
    if engine == "fast":
        fast, params, loss_grad = FastMLP(model), model.parameters(), hinge(Y)
        step = lambda: fast_step(fast, params, X, loss_grad)  # noqa: E731
    else:
        step = lambda: graph_step(model, X, Y)  # noqa: E731
    step()
    prepare = time.perf_counter() - t0
    rss = [status_mb("VmRSS")]
    for i in range(steps):
        step()
        if i == 9:
            rss[0] = status_mb("VmRSS")  # after 10 steps: warmed up
    rss.append(status_mb("VmRSS"))
    print(json.dumps({"prepare_s": prepare, "peak_mb": status_mb("VmHWM"), "rss_mb": rss}))


def measure_fresh(hidden, engine="fast", steps=0):
    """`measure_here` in a new Python process, so no earlier work counts."""
    command = [sys.executable, __file__, "--child", engine, ",".join(map(str, hidden)), str(steps)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed steps per engine")
    parser.add_argument("--quick", action="store_true", help="only 16,16, fewer repeats")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # ENGINE LAYERS STEPS
    args = parser.parse_args(argv)
    if args.child:
        engine, layers, steps = args.child
        return measure_here(engine, [int(n) for n in layers.split(",")], int(steps))
    # micrograd's recursive sort needs more than 1000 frames once the L2 sum is long.
    sys.setrecursionlimit(20_000)
    X, Y = make_moons()
    shapes = [(16, 16)] if args.quick else [(4, 4), (16, 16), (32, 32)]
    repeats = 3 if args.quick else args.repeats
    times = {hidden: {} for hidden in shapes}
    for hidden in shapes:
        for name, step in steppers(hidden, X, Y).items():
            times[hidden][name] = median_ms(step, repeats)
    # PyTorch last: importing it fills the heap, which would slow every other engine's GC.
    try:
        for hidden in shapes:
            times[hidden]["PyTorch"] = median_ms(torch_stepper(hidden, X, Y), 10 * repeats)
    except ImportError:
        print("PyTorch is not installed: no PyTorch column")

    print(
        f"python {sys.version.split()[0]}, {SAMPLES} moons points, hinge + L2 {ALPHA}, "
        f"ms per step (median of {repeats} steps) and speed-up over the baseline"
    )
    if hasattr(os, "getloadavg"):
        load = os.getloadavg()[0]
        print(f"1-minute load average {load:.2f} (this run adds ~1; more: other work ran)")
    for hidden, row in times.items():
        print(f"\nMLP(2, [{hidden[0]}, {hidden[1]}, 1]) ReLU")
        for name, ms in row.items():
            print(f"  {name:12s} {ms:10.2f} ms/step  {row['baseline'] / ms:8.1f}x")

    print("\nfast path, each in a fresh process")
    prep = {hidden: measure_fresh(hidden)["prepare_s"] for hidden in [(16, 16), (32, 32)]}
    for hidden, seconds in prep.items():
        print(
            f"  prepare {hidden[0]},{hidden[1]} (build MLP + FastMLP + first step): "
            f"{1000 * seconds:.1f} ms"
        )
    fast_mem = measure_fresh((16, 16), "fast", steps=1000)
    plain_mem = measure_fresh((16, 16), "plain", steps=3)
    first, last = fast_mem["rss_mb"]
    print(
        f"  process peak at 16,16: fast path {fast_mem['peak_mb']:.1f} MB "
        f"(plain Value path {plain_mem['peak_mb']:.1f} MB)"
    )
    print(f"  RSS over 1,000 fast steps: {first:.1f} MB after 10, {last:.1f} MB at the end")

    t = times[(16, 16)]
    fast_x, plain_x = t["baseline"] / t["FastMLP"], t["baseline"] / t["plain Value"]
    flat = last - first <= max(2.0, 0.05 * first)
    print("\ntargets (16,16)")
    for ok, text in [
        (fast_x >= 100, f"fast >= 100x baseline: {fast_x:.0f}x"),
        (fast_x >= 250, f"stretch: fast >= 250x baseline: {fast_x:.0f}x"),
        (plain_x >= 15, f"plain Value >= 15x baseline: {plain_x:.1f}x"),
        (prep[(16, 16)] <= 0.3, f"prepare <= 0.3 s at 16,16: {prep[(16, 16)]:.3f} s"),
        (prep[(32, 32)] <= 1.0, f"prepare <= 1 s at 32,32: {prep[(32, 32)]:.3f} s"),
        (
            fast_mem["peak_mb"] <= 150,
            f"process peak <= 150 MB at 16,16: {fast_mem['peak_mb']:.1f} MB",
        ),
        (flat, f"memory flat over 1,000 steps: {last - first:+.1f} MB"),
    ]:
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")


if __name__ == "__main__":
    main()
