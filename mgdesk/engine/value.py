"""A scalar value that remembers how it was computed, so gradients can flow back.

This is micrograd's `Value`, read top to bottom: the arithmetic builds a graph, and
`backward()` walks it from the output back to every input, applying the chain rule at each
node (`_backward`). One difference matters, and the notes at the end of this file explain
it: a node keeps no `_backward` closure, only its operation tag and its inputs.

Gradient rule for `backward()`: the root's grad is set to 1.0 and every interior node's
grad is recomputed from zero on each call, while leaves (values you created, such as
parameters and inputs) *accumulate* with `+=`, exactly like PyTorch. So calling
`loss.backward()` twice on the same graph doubles the leaves' grads but not the interior
ones. Call `zero_grad()` (or set `p.grad = 0.0`) between training steps.
"""

import math
import numbers

__all__ = ["Value", "gelu_slope", "safe_cos", "safe_pow", "safe_exp", "safe_sin"]


class Value:
    """A scalar in a computational graph: its data, its gradient, and where it came from."""

    __slots__ = ("data", "grad", "_a", "_b", "_op", "_arg", "label")  # see the notes below

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data if data.__class__ is float else _as_float(data)
        self.grad = 0.0
        if _children.__class__ is tuple and len(_children) == 2:  # the op's inputs, in order
            self._a, self._b = _children
        else:
            self._a, self._b = _two_inputs(_children)
        self._op = _op  # the operation that produced this value ('' for a leaf)
        self._arg = None  # a plain-number operand of the op: the n of x**n
        self.label = label

    # ---- arithmetic: each builds a new node that remembers its inputs ----

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+")

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), "*")

    def __pow__(self, n):
        if isinstance(n, Value) or not isinstance(n, int | float):
            raise TypeError("Value ** n supports only a plain int or float exponent n")
        try:
            label = f"**{n:g}"
        except OverflowError:  # an int too big for a float: as a float it is +-inf
            n = math.inf if n > 0 else -math.inf
            label = f"**{n:g}"
        out = Value(safe_pow(self.data, n), (self,), label)
        out._arg = n
        return out

    # ---- functions ----

    def relu(self):
        # As PyTorch: max(0, x), and NaN stays NaN so that a broken number is not hidden.
        return Value(0.0 if self.data <= 0 else self.data, (self,), "relu")

    def tanh(self):
        return Value(math.tanh(self.data), (self,), "tanh")

    def exp(self):
        return Value(safe_exp(self.data), (self,), "exp")

    def log(self):
        return Value(_safe_log(self.data), (self,), "log")

    def sigmoid(self):
        return Value(_sigmoid(self.data), (self,), "sigmoid")

    def leaky_relu(self):
        # As PyTorch's default: x above 0, 0.01 * x elsewhere (NaN stays NaN).
        return Value(self.data if self.data > 0 else 0.01 * self.data, (self,), "leaky_relu")

    def gelu(self):
        # The exact GELU, x * Phi(x) with Phi the normal distribution's CDF (erf form), as
        # PyTorch's default (approximate="none").
        return Value(_gelu(self.data), (self,), "gelu")

    def sin(self):
        return Value(safe_sin(self.data), (self,), "sin")

    # ---- backpropagation ----

    def backward(self):
        """Fill in d(self)/d(node) as `node.grad` for every node this value depends on."""
        topo = self.topological_order()
        for node in topo:
            if node._a is not None:  # interior nodes start from zero; leaves accumulate
                node.grad = 0.0
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()

    def _backward(self):
        """The chain rule for the op that made this node: push self.grad to its inputs.

        Every input receives `local derivative * self.grad` with `+=`, because an input used
        several times (as in `a + a`) collects a contribution along each path.
        """
        op, g = self._op, self.grad
        if op == "+":
            self._a.grad += g
            self._b.grad += g
        elif op == "*":
            a, b = self._a, self._b
            a.grad += b.data * g
            b.grad += a.data * g
        elif op == "relu":
            a = self._a
            a.grad += 0.0 if self.data <= 0 else g
        elif op == "tanh":
            a = self._a
            a.grad += (1 - self.data**2) * g
        elif op == "exp":
            a = self._a
            a.grad += self.data * g
        elif op == "log":
            a = self._a
            a.grad += _divide(g, a.data)
        elif op == "sigmoid":
            a = self._a
            a.grad += self.data * (1 - self.data) * g
        elif op == "leaky_relu":
            a = self._a
            a.grad += g if self.data > 0 else 0.01 * g
        elif op == "gelu":  # the slope needs the input: Phi(x) + x * phi(x)
            a = self._a
            a.grad += gelu_slope(a.data) * g
        elif op == "sin":
            a = self._a
            a.grad += safe_cos(a.data) * g
        elif op.startswith("**"):  # x ** n: the tag shows n, _arg holds it
            a, n = self._a, self._arg
            # d(x**0)/dx is 0 everywhere, also at x = 0 where 0 * 0**-1 would give NaN
            a.grad += 0.0 if n == 0 else n * safe_pow(a.data, n - 1) * g

    def topological_order(self):
        """All nodes this value depends on, each after every input it uses.

        Iterative depth-first search (an explicit stack instead of recursion), so a chain of
        100,000 operations is fine. The order is the one micrograd's recursive `build_topo`
        gives: visit the inputs first, then append the node. The node on top of the stack
        goes down into its first unvisited input; when it has none left, it is done.
        """
        topo, visited = [], {self}
        stack = [self]
        while stack:
            node = stack[-1]
            a, b = node._a, node._b
            if a is not None and a not in visited:  # first input
                visited.add(a)
                stack.append(a)
            elif b is not None and b not in visited:  # then the second
                visited.add(b)
                stack.append(b)
            else:  # all its inputs are already in topo
                stack.pop()
                topo.append(node)
        return topo

    # ---- the other operators, written with the ones above ----

    def __neg__(self):  # -self
        return self * -1

    def __radd__(self, other):  # other + self
        return self + other

    def __sub__(self, other):  # self - other
        return self + (-other)

    def __rsub__(self, other):  # other - self
        return other + (-self)

    def __rmul__(self, other):  # other * self
        return self * other

    def __truediv__(self, other):  # self / other
        other = other if isinstance(other, Value) else Value(other)  # so x / 0 gives inf
        return self * other**-1

    def __rtruediv__(self, other):  # other / self
        return other * self**-1

    @property
    def _prev(self):
        """The inputs of the op that made this value: (), (a,) or (a, b), in operand order."""
        if self._a is None:
            return ()
        return (self._a,) if self._b is None else (self._a, self._b)

    def __repr__(self):
        return f"Value(data={_short(self.data)}, grad={_short(self.grad)})"


# ---- Notes ----
#
# Why no closures. micrograd gives each node a `_backward` closure. A closure refers back
# to the node that owns it, so every node sits in a reference cycle that only Python's
# cyclic garbage collector can free; on a training step that collector takes ~90% of the
# time and stalls the GUI thread. Here a node stores its op tag (`_op`) and its inputs,
# and `_backward()` looks at the tag. Without cycles, reference counting frees a graph at
# once.
#
# Why slots, and two of them for the inputs. `__slots__` gives each node fixed fields
# instead of a dict. The inputs sit in two slots, `_a` and `_b`, rather than in a tuple:
# one object per node for the garbage collector to track instead of two, which makes a
# training step about a third faster. `_prev` builds the tuple when someone asks.
#
# Why not sort by creation. A node is always made after its inputs, so numbering Values as
# they are made would give a topological order too, by sorting. Measured on micrograd's
# demo step, walking the graph and sorting by that number is no faster than the search in
# topological_order(), and the number costs a slot in every node; so the search stays.


def _two_inputs(children):
    """(a, b) from an op's inputs: (a, b), (a, None) or (None, None)."""
    if children.__class__ is not tuple:  # a list, a set or a generator of inputs
        children = tuple(children)
    if len(children) == 2:
        return children
    if len(children) > 2:
        raise ValueError("a Value is made by an op of one or two inputs")
    return (children[0] if children else None), None


def _as_float(x):
    """A real number as a float (an int too big for a float becomes +-inf); TypeError for
    anything else, such as the string "2" (micrograd would fail there too)."""
    if not isinstance(x, numbers.Real):
        raise TypeError(f"a Value holds a real number, not {type(x).__name__}")
    try:
        return float(x)
    except OverflowError:  # an int too big for a float, such as 10**400
        return math.inf if x > 0 else -math.inf


def safe_exp(x):
    """math.exp that overflows to inf instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _odd_integer(n):
    return float(n).is_integer() and int(n) % 2 == 1


def safe_pow(x, n):
    """x ** n for floats as IEEE 754 (and PyTorch) give it: inf or NaN instead of raising or
    going complex; a zero keeps its sign under an odd power, so (-0.0) ** -1 is -inf."""
    try:
        result = x**n
    except OverflowError:
        # Only |x| > 1 overflows; an odd integer power keeps the sign.
        return -math.inf if x < 0 and _odd_integer(n) else math.inf
    except ZeroDivisionError:  # (+-0.0) ** negative
        return math.copysign(math.inf, x) if _odd_integer(n) else math.inf
    if isinstance(result, complex):  # negative base, fractional power
        return math.nan
    return result


def _divide(a, b):
    """a / b as IEEE 754 gives it, also for b = +-0.0 (where Python raises)."""
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _safe_log(x):
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _sigmoid(x):
    # Two forms so that exp never overflows, whatever the sign of x.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def safe_sin(x):
    """math.sin, NaN at +-inf (as IEEE 754 and NumPy) instead of raising."""
    return math.sin(x) if not math.isinf(x) else math.nan


def safe_cos(x):
    return math.cos(x) if not math.isinf(x) else math.nan


def _gelu(x):
    return x * _normal_cdf(x)  # NaN at -inf (-inf * 0), as PyTorch


def gelu_slope(x):
    """d gelu(x)/dx = Phi(x) + x * phi(x): the normal CDF plus x times its density."""
    return _normal_cdf(x) + x * math.exp(-0.5 * x * x) / _SQRT_2PI


def _normal_cdf(x):
    # Phi(x) = (1 + erf(x / sqrt 2)) / 2, written with erfc: the same function, but 1 + erf
    # loses digits as x goes below 0 (erf nears -1), all of them by x = -6; erfc keeps them.
    return 0.5 * math.erfc(-x / _SQRT2)


_SQRT2 = math.sqrt(2.0)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _short(x):
    """A number for repr: four decimals, but never hide a small non-zero value."""
    r = round(x, 4) if math.isfinite(x) else x
    return f"{x:.3e}" if r == 0 and x != 0 else repr(r)
