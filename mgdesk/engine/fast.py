"""The fast training path: the chain rule of `Value`, a whole layer at a time, on NumPy arrays.

The plain path builds a `Value` for every multiply and add of every sample (about 65,000
nodes per step for 100 points through MLP(2, [16, 16, 1])) and walks them one by one. This
path does the same arithmetic for all samples at once, as matrix products in float64 (the
same numbers as Python's float). It is the learner's next step after micrograd:

    A    the activations entering a layer: one row per sample, one column per input
    W    the layer's weights: one row per neuron (that neuron's `w`), b its biases
    Z    the neurons' sums before the activation; dZ = d loss / d Z, and so on

Each `Value` line on the left becomes one array line on the right:

    Value (one sample, one neuron)              FastMLP (every sample, every neuron)
    forward, Neuron.__call__                    forward
      act = sum(wi * xi ..., self.b)              Z = A @ W.T + b
      out = act.relu()                            A = np.maximum(Z, 0)
      out = act.tanh()                            A = np.tanh(Z)
    backward, Value._backward                   backward
      relu: a.grad += 0 if out.data <= 0 else g   dZ = np.where(A <= 0, 0, dA)
      tanh: a.grad += (1 - out.data**2) * g       dZ = (1 - A * A) * dA
      *:    w.grad += x.data * g                  dW = dZ.T @ A_in      (sum over samples)
      +:    b.grad += g                           db = dZ.sum(axis=0)   (sum over samples)
      *:    x.grad += w.data * g                  dA_in = dZ @ W        (sum over neurons)

A `Value` that feeds many nodes collects its gradient with `+=` along each path; here those
sums are the sums inside the matrix products. The results agree with the `Value` graph to
rounding, not bit for bit: BLAS adds the terms of a product in its own order (with fused
multiply-adds), so outputs and gradients match to about 1e-12 relative (the hypothesis
tests check it). The same inputs give the same bits on every run.

All the parameters live in one flat array `theta`, in `model.parameters()` order (neuron
by neuron: w1, w2, ..., b), with each layer's W and b as views into it; `grad` has the same
layout. So an optimizer updates every parameter with one array expression, and a saved
momentum (one number per parameter) lines up with the model's `Value`s. Training keeps the
weights here; `write_values()` copies them into the `Value`s when someone wants to look
(the graph view, saving), and `read_values()` copies the `Value`s' weights back.
"""

import numpy as np

from mgdesk.engine.activations import ACTIVATION

__all__ = ["FastMLP"]


class FastMLP:
    """An `MLP`'s weights as arrays, with a batch forward and backward pass.

    `FastMLP(model)` copies the model's weights in. `forward(X)` takes an (n, nin) array and
    returns the (n, nout) outputs; `backward(d_outputs)` fills `grad`. `loss_and_backward`
    is the shortcut that works on the model's `Value`s directly, as the plain path does.
    """

    def __init__(self, model):
        self.model = model
        self.activations = tuple(ACTIVATION[name] for name in model.activations)
        sizes = [model.nin, *model.nouts]
        shapes = [(nout, nin + 1) for nin, nout in zip(sizes, sizes[1:])]  # w..., b per row
        count = sum(rows * cols for rows, cols in shapes)
        self.theta = np.zeros(count)  # every weight and bias, in model.parameters() order
        self.grad = np.zeros(count)  # d loss / d theta, same order
        self.layers = []  # (W, b, dW, db) per layer: views into theta and grad
        start = 0
        for rows, cols in shapes:
            block = self.theta[start : start + rows * cols].reshape(rows, cols)
            dblock = self.grad[start : start + rows * cols].reshape(rows, cols)
            self.layers.append((block[:, :-1], block[:, -1], dblock[:, :-1], dblock[:, -1]))
            start += rows * cols
        self._cache = None
        self.read_values()

    # ---- the arrays and the model's Values ----

    def _parameters(self):
        params = self.model.parameters()  # asked each time: micrograd code may set n.w = [...]
        if len(params) != len(self.theta):
            raise ValueError("the model's parameters changed shape; make a new FastMLP")
        return params

    def read_values(self):
        """theta <- the weights in the model's `Value`s."""
        self.theta[:] = [p.data for p in self._parameters()]

    def write_values(self):
        """The model's `Value`s <- theta (their `data`) and grad (their `grad`)."""
        for p, x, g in zip(self._parameters(), self.theta.tolist(), self.grad.tolist()):
            p.data = x
            p.grad = g

    # ---- forward and backward over a batch ----

    def forward(self, X, keep=True):
        """Outputs for the rows of X, shape (n, nout). `keep=False`: no backward will follow,
        so the layers' activations are not kept (inference)."""
        activations, inputs = self._layers_forward(X)
        self._cache = (activations, inputs) if keep else None
        return activations[-1]

    def layer_outputs(self, X):
        """[A_0, A_1, ..., A_L]: the inputs X as an (n, nin) array, then each layer's
        activations for them, (n, neurons of that layer)."""
        return self._layers_forward(X)[0]

    def _layers_forward(self, X):
        """(layer_outputs, each layer's Z where its activation's slope needs it, else None)."""
        A = np.asarray(X)
        if A.dtype.kind not in "biuf":  # NumPy would turn "2" into 2.0; a Value refuses it
            raise TypeError(f"the inputs must be real numbers, not {A.dtype}")
        A = A.astype(np.float64, copy=False).reshape(-1, self.model.nin)
        activations, inputs = [A], []
        for (W, b, _, _), act in zip(self.layers, self.activations):
            Z = A @ W.T
            Z += b
            A = act.numpy(np, Z)  # np.tanh(Z), np.maximum(Z, 0) or Z: see activations.py
            activations.append(A)
            inputs.append(Z if act.uses_input else None)  # gelu, sin: the slope needs Z
        return activations, inputs

    def backward(self, d_outputs):
        """grad <- d loss / d theta, from d loss / d outputs (shape (n, nout)), through the
        activations kept by the last `forward`. Sets `grad`; it does not add to it."""
        if self._cache is None:
            raise RuntimeError("call forward() before backward()")
        (cache, inputs), self._cache = self._cache, None
        dA = np.asarray(d_outputs, dtype=np.float64).reshape(cache[-1].shape)
        for index in range(len(self.layers) - 1, -1, -1):
            W, _, dW, db = self.layers[index]
            A_in, A = cache[index], cache[index + 1]
            dZ = self.activations[index].numpy_backward(np, inputs[index], A, dA)  # (1 - A*A) * dA
            dW[...] = dZ.T @ A_in
            db[...] = dZ.sum(axis=0)
            if index > 0:  # the inputs of the network need no gradient
                dA = dZ @ W

    def predict(self, X):
        """Outputs for the rows of X, (n, nout), without keeping anything for backward."""
        return self.forward(X, keep=False)

    def loss_and_backward(self, X, loss_grad):
        """One forward and backward on the model's `Value`s, as the plain path would do it.

        Reads the weights from the `Value`s, calls `loss_grad(outputs)` with the outputs as
        one row per output unit (an (nout, n) array) to get (loss, d loss / d outputs in the
        same layout), and adds the gradients into each parameter's `grad`. Returns (loss,
        outputs as one list per output unit).
        """
        self.read_values()
        outputs = self.forward(X).T
        loss, d_outputs = loss_grad(outputs)
        self.backward(np.asarray(d_outputs, dtype=np.float64).T)
        for p, g in zip(self._parameters(), self.grad.tolist()):
            p.grad += g
        return loss, outputs.tolist()
