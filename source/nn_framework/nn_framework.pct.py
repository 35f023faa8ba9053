# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A small neural-network framework
#
# In this assignment you build the core of a layer framework in numpy: activations, a
# fully connected layer, the softmax and cross-entropy, a network class that chains
# layers, and finally convolution and pooling layers for images. Each layer keeps its
# parameters and their gradients in dictionaries, the way real frameworks do.
#
# | Question | What | Points |
# |---|---|---|
# | 4.1 | ReLU: derivative (written) and code | 2 + 4 |
# | 4.2 | FullyConnected: gradients (written) and code | 3 + 8 |
# | 4.3 | SoftMax: Jacobian (written) and code | 3 + 6 |
# | 4.4 | CrossEntropy: gradient (written) and code | 2 + 4 |
# | 5.1 | NeuralNetwork: forward, backward, predict | 8 |
# | 5.2 | Training on iris, with a small hyperparameter search | 6 + 3 |
# | 6.1 | einsum | 3 |
# | 6.2 | Conv2D: gradients (written) and code | 4 + 12 |
# | 6.3 | Pool2D: what to remember (written) and code | 3 + 10 |
#
# Written answers are graded by a person; write them in the answer cells, with LaTeX
# between dollar signs. After each code task a checker from `nn_utils` prints
# `All checks passed successfully!` or names the method, the array and the likely
# mistake. Hidden tests repeat the checks with other sizes and seeds at grading time.
# Images are stored as (batch, rows, columns, channels).
#
# An optional second notebook, `nn_framework_pytorch.ipynb`, does question 7 with
# PyTorch.

# %% grade_id="setup" kind="readonly"
from abc import ABC, abstractmethod
from collections import OrderedDict
from typing import Tuple

import numpy as np
import matplotlib.pyplot as plt

import nn_utils

# %% [markdown]
# ## The framework's building blocks (given)
#
# An activation is an object with `forward(Z)` and `backward(Z, dY)`, where `dY` is the
# gradient of the loss with respect to the activation's output; calling it runs
# `forward`. A layer keeps `parameters`, `cache` and `gradients` in OrderedDicts and
# creates its parameters the first time it sees an input, when the input size is known.
# `pad2d(X, pad, kernel_shape, stride)` zero-pads images for Conv2D and Pool2D (6.2,
# 6.3) and returns the padded array with the padding used, `(top, bottom, left, right)`.

# %% grade_id="framework" kind="readonly"
class Activation(ABC):
    """f(Z) applied to a layer's pre-activations, and its backward pass."""

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        return self.forward(Z)

    @abstractmethod
    def forward(self, Z: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray: ...


class Linear(Activation):
    """The identity: f(z) = z."""

    def forward(self, Z):
        return Z

    def backward(self, Z, dY):
        return dY


def initialize_weights(name: str = "xavier_uniform"):
    """A function shape -> random weights.

    fan_in is the second-to-last axis and fan_out the last: n_in and n_out of a dense
    W (n_in, n_out); for a kernel W (kernel_rows, kernel_cols, n_in, n_out) both are
    multiplied by the kernel area, the product of the leading axes.
    """

    def init(shape):
        receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
        fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
        if name == "xavier_uniform":
            a = np.sqrt(6.0 / (fan_in + fan_out))
            return np.random.uniform(-a, a, size=shape)
        if name == "he_normal":
            return np.random.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
        raise ValueError(f"unknown weight initialisation {name!r}")

    return init


class Layer(ABC):
    """A layer: parameters, a cache for the backward pass, and parameter gradients."""

    def __init__(self):
        self.activation = None
        self.n_in = None
        self.n_out = None
        self.parameters = OrderedDict()
        self.cache = OrderedDict()
        self.gradients = OrderedDict()

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return self.forward(X)

    @abstractmethod
    def forward(self, X: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def backward(self, dLdY: np.ndarray) -> np.ndarray: ...


def pad2d(X: np.ndarray, pad, kernel_shape=None, stride=None):
    """Zero-pad the rows and columns of images X (batch, rows, cols, channels).

    pad is an int p (p zeros on every side), a pair (p_rows, p_cols), a 4-tuple
    (top, bottom, left, right), "valid" (no zeros) or "same" ((k - 1) // 2 zeros on
    both sides of an axis whose kernel size is k; needs kernel_shape). stride is
    accepted and not used: "same" pads alike for every stride.

    Returns (X_pad, p): X_pad of shape (batch, rows + p[0] + p[1], cols + p[2] + p[3],
    channels) and p = (top, bottom, left, right), so that
    X_pad[:, p[0]:p[0] + rows, p[2]:p[2] + cols, :] is X again.
    """
    if isinstance(pad, str) and pad == "same" and kernel_shape is not None:
        rows, cols = (kernel_shape[0] - 1) // 2, (kernel_shape[1] - 1) // 2
        p = (rows, rows, cols, cols)
    elif isinstance(pad, str) and pad == "valid":
        p = (0, 0, 0, 0)
    elif isinstance(pad, (int, np.integer)):
        p = (int(pad),) * 4
    elif isinstance(pad, (tuple, list)) and len(pad) in (2, 4):
        p = tuple(int(v) for v in pad)
        p = (p[0], p[0], p[1], p[1]) if len(p) == 2 else p
    else:
        raise ValueError(f"pad2d: cannot pad with pad={pad!r} (kernel_shape={kernel_shape!r})")
    return np.pad(X, ((0, 0), (p[0], p[1]), (p[2], p[3]), (0, 0))), p


# %% [markdown]
# ## 4.1 ReLU
#
# $\mathrm{ReLU}(z) = \max(0, z)$ entrywise.
#
# **Written (2 points).** With $Y = \mathrm{ReLU}(Z)$ and $\partial L / \partial Y$
# given, write $\partial L / \partial Z$ and say what happens at $z = 0$.

# %% [markdown] grade_id="relu-derivation" kind="answer" points=2
# **Model answer.** $\frac{\partial Y_{ij}}{\partial Z_{ij}} = 1$ if $Z_{ij} > 0$ and $0$
# if $Z_{ij} < 0$, and it does not depend on other entries, so
# $\frac{\partial L}{\partial Z} = \frac{\partial L}{\partial Y} \odot \mathbb{1}[Z > 0]$.
# At $z = 0$ the derivative is undefined; any value in $[0, 1]$ is a valid subgradient,
# and frameworks use 0.
#
# **Rubric.** 1 for the elementwise mask times the upstream gradient (not a matrix
# product); 1 for handling $z = 0$ (any subgradient choice, stated).

# %% grade_id="relu-impl" kind="solution"
class ReLU(Activation):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """max(0, Z) entrywise, for Z of any shape."""
        ### BEGIN SOLUTION
        return np.maximum(0.0, Z)
        ### END SOLUTION

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        """Gradient of the loss with respect to Z, given dY = dL/dY (same shape as Z)."""
        ### BEGIN SOLUTION
        return dY * (Z > 0)
        ### END SOLUTION


# %% grade_id="relu-check" kind="test" points=2
nn_utils.check_relu_activation(ReLU())

# %% grade_id="relu-hidden" kind="test" points=2
# Hidden tests for 4.1 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_relu_activation(ReLU(), seed=3, shapes=((1, 9), (4, 2, 3, 2)))
### END HIDDEN TESTS

# %% [markdown]
# ## 4.2 The fully connected layer
#
# For a batch $X$ of shape (batch_size, n_in): $Z = XW + b$ and $Y = f(Z)$, with
# $W$ of shape (n_in, n_out) and $b$ of shape (1, n_out).
#
# **Written (3 points).** Given $\partial L / \partial Z$, derive
# $\partial L / \partial W$, $\partial L / \partial b$ and $\partial L / \partial X$,
# with their shapes.

# %% [markdown] grade_id="fc-derivation" kind="answer" points=3
# **Model answer.** $\frac{\partial L}{\partial W} = X^T \frac{\partial L}{\partial Z}$,
# (n_in, n_out); $\frac{\partial L}{\partial b} = \sum_{n} \frac{\partial L}{\partial
# Z_{n,:}}$, the column sums, (1, n_out); $\frac{\partial L}{\partial X} =
# \frac{\partial L}{\partial Z} W^T$, (batch_size, n_in); and
# $\frac{\partial L}{\partial Z} = f'(Z) \odot \frac{\partial L}{\partial Y}$ for an
# entrywise activation.
#
# **Rubric.** 1 point per gradient with the right shape; the bias must be summed over
# the batch (no point for $\partial L / \partial Z$ itself).
#
# %% [markdown]
# **Code (8 points).** Complete `_init_parameters` (W from `self.init_weights`, b zeros,
# the three OrderedDicts with the keys `"W"` and `"b"`), `forward` (cache what backward
# needs) and `backward` (fill `self.gradients`, return $\partial L / \partial X$). The
# activation's backward turns $\partial L / \partial Y$ into $\partial L / \partial Z$.

# %% grade_id="fc-impl" kind="solution"
class FullyConnected(Layer):
    def __init__(self, n_out: int, activation, weight_init: str = "xavier_uniform"):
        super().__init__()
        self.n_out = n_out
        self.activation = activation
        self.init_weights = initialize_weights(weight_init)

    def _init_parameters(self, X_shape: Tuple[int, int]) -> None:
        """Create W (n_in, n_out) and b (1, n_out), and the cache and gradients."""
        self.n_in = X_shape[1]
        ### BEGIN SOLUTION
        W = self.init_weights((self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))
        self.parameters = OrderedDict({"W": W, "b": b})
        self.cache = OrderedDict({"Z": None, "X": None})
        self.gradients = OrderedDict({"W": np.zeros_like(W), "b": np.zeros_like(b)})
        ### END SOLUTION

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Y = activation(X @ W + b) for X of shape (batch_size, n_in)."""
        if self.n_in is None:
            self._init_parameters(X.shape)
        ### BEGIN SOLUTION
        Z = X @ self.parameters["W"] + self.parameters["b"]
        self.cache["X"], self.cache["Z"] = X, Z
        Y = self.activation(Z)
        ### END SOLUTION
        return Y

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        """Fill self.gradients["W"] and ["b"]; return dL/dX of shape (batch_size, n_in)."""
        ### BEGIN SOLUTION
        X = self.cache["X"]
        dLdZ = self.activation.backward(self.cache["Z"], dLdY)
        self.gradients["W"] = X.T @ dLdZ
        self.gradients["b"] = dLdZ.sum(axis=0, keepdims=True)
        dX = dLdZ @ self.parameters["W"].T
        ### END SOLUTION
        return dX


# %% grade_id="fc-check" kind="test" points=4
nn_utils.check_fully_connected(FullyConnected)

# %% grade_id="fc-hidden" kind="test" points=4
# Hidden tests for 4.2 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_fully_connected(FullyConnected, seed=5, sizes=((1, 7, 2), (20, 3, 3), (9, 10, 1)))
### END HIDDEN TESTS

# %% [markdown]
# ## 4.3 SoftMax
#
# $\sigma(s)_i = e^{s_i} / \sum_{j=1}^{K} e^{s_j}$ for each row $s$ of a (batch_size, K)
# array.
#
# **Written (3 points).** Derive the Jacobian $\partial \sigma_i / \partial s_j$ (on and
# off the diagonal), and show that for an upstream gradient $g = \partial L / \partial
# \sigma$ the backward pass is $\partial L / \partial s = \sigma \odot (g - \langle g,
# \sigma \rangle)$.

# %% [markdown] grade_id="softmax-derivation" kind="answer" points=3
# **Model answer.** $\frac{\partial \sigma_i}{\partial s_j} = \sigma_i(\delta_{ij} -
# \sigma_j)$: $\sigma_i(1 - \sigma_i)$ on the diagonal and $-\sigma_i \sigma_j$ off it.
# Then $\frac{\partial L}{\partial s_j} = \sum_i g_i \sigma_i (\delta_{ij} - \sigma_j) =
# \sigma_j g_j - \sigma_j \sum_i g_i \sigma_i = \sigma_j (g_j - \langle g, \sigma
# \rangle)$.
#
# **Rubric.** 1 for each Jacobian case, 1 for the vector form (a backward that uses only
# the diagonal loses this point).

# %% [markdown]
# **Code (6 points).** `forward` must stay finite for scores near 1000. `backward`
# receives an arbitrary `dY`, not only the one that cross-entropy produces: the check
# uses a random one, so the full Jacobian-vector product is needed.

# %% grade_id="softmax-impl" kind="solution"
class SoftMax(Activation):
    def forward(self, Z: np.ndarray) -> np.ndarray:
        """Softmax of each row of Z (batch_size, K), stable for large values."""
        ### BEGIN SOLUTION
        e = np.exp(Z - Z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
        ### END SOLUTION

    def backward(self, Z: np.ndarray, dY: np.ndarray) -> np.ndarray:
        """dL/dZ for the upstream gradient dY (batch_size, K)."""
        ### BEGIN SOLUTION
        s = self.forward(Z)
        return s * (dY - np.sum(dY * s, axis=1, keepdims=True))
        ### END SOLUTION


# %% grade_id="softmax-check" kind="test" points=3
nn_utils.check_softmax_activation(SoftMax())

# %% grade_id="softmax-hidden" kind="test" points=3
# Hidden tests for 4.3 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_softmax_activation(SoftMax(), seed=7, shapes=((1, 2), (12, 10)))
### END HIDDEN TESTS

# %% [markdown]
# ## 4.4 Cross-entropy
#
# For one-hot targets $Y$ and predictions $\hat{Y}$ (both (batch_size, K)), the loss is
# $L = -\frac{1}{N} \sum_{n} \sum_{k} Y_{nk} \log \hat{Y}_{nk}$.
#
# **Written (2 points).** Derive $\partial L / \partial \hat{Y}$.

# %% [markdown] grade_id="crossentropy-derivation" kind="answer" points=2
# **Model answer.** $\frac{\partial L}{\partial \hat{Y}_{nk}} = -\frac{1}{N}
# \frac{Y_{nk}}{\hat{Y}_{nk}}$, an array of the shape of $\hat{Y}$ (not a sum over the
# batch).
#
# **Rubric.** 1 for the entrywise ratio with the minus sign, 1 for the $1/N$ and the
# shape.

# %% grade_id="crossentropy-impl" kind="solution"
class CrossEntropy:
    def __call__(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        return self.forward(Y, Y_hat)

    def forward(self, Y: np.ndarray, Y_hat: np.ndarray) -> float:
        """Mean cross-entropy of predictions Y_hat against one-hot Y, a float."""
        ### BEGIN SOLUTION
        return float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])
        ### END SOLUTION

    def backward(self, Y: np.ndarray, Y_hat: np.ndarray) -> np.ndarray:
        """dL/dY_hat, the shape of Y_hat."""
        ### BEGIN SOLUTION
        return -Y / Y_hat / Y.shape[0]
        ### END SOLUTION


# %% grade_id="crossentropy-check" kind="test" points=2
nn_utils.check_cross_entropy_loss_layer(CrossEntropy())

# %% grade_id="crossentropy-hidden" kind="test" points=2
# Hidden tests for 4.4 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_cross_entropy_loss_layer(CrossEntropy(), seed=9, shapes=((1, 3), (25, 2)))
### END HIDDEN TESTS

# %% [markdown]
# ## 5.1 The network
#
# `NeuralNetwork(layers, loss)` holds a list of layers and a loss. `forward` passes the
# input through the layers in order; `backward(target, out)` computes the loss, then
# sends **the loss's gradient** back through the layers in reverse order, and returns
# the loss; `predict(X, Y)` does both and returns the predictions and the loss.
# `update` (given) takes one gradient-descent step with the gradients the layers stored.

# %% grade_id="network-impl" kind="solution"
class NeuralNetwork:
    def __init__(self, layers, loss, learning_rate: float = 0.1):
        self.layers = list(layers)
        self.loss = loss
        self.learning_rate = learning_rate

    def forward(self, X: np.ndarray) -> np.ndarray:
        """The output of the last layer for the input X."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            X = layer.forward(X)
        return X
        ### END SOLUTION

    def backward(self, target: np.ndarray, out: np.ndarray) -> float:
        """Compute the loss of `out` against `target`, back-propagate, return the loss."""
        ### BEGIN SOLUTION
        loss = self.loss(target, out)
        dLdY = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            dLdY = layer.backward(dLdY)
        return loss
        ### END SOLUTION

    def predict(self, X: np.ndarray, Y: np.ndarray) -> Tuple[np.ndarray, float]:
        """(predictions, loss) for inputs X and targets Y."""
        ### BEGIN SOLUTION
        Y_hat = self.forward(X)
        return Y_hat, self.backward(Y, Y_hat)
        ### END SOLUTION

    def update(self) -> None:
        """One gradient-descent step on every layer's parameters (given)."""
        for layer in self.layers:
            for name in layer.parameters:
                layer.parameters[name] = (layer.parameters[name]
                                          - self.learning_rate * layer.gradients[name])


# %% grade_id="network-check" kind="test" points=4
nn_utils.check_neural_network(NeuralNetwork)

# %% grade_id="network-hidden" kind="test" points=4
# Hidden tests for 5.1 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_neural_network(NeuralNetwork, seed=11, sizes=(3, 6, 2), batch=1)
nn_utils.check_neural_network(NeuralNetwork, seed=12, sizes=(4, 4, 4, 4, 4), batch=9)
### END HIDDEN TESTS

# %% [markdown]
# ## 5.2 Training on iris
#
# Iris has 150 flowers, 4 measurements each, in 3 classes. We keep 30 for testing and
# standardise the features with the training set's mean and standard deviation.

# %% grade_id="iris-data" kind="readonly"
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

iris_X, iris_y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(iris_X, iris_y, test_size=30,
                                                    random_state=0, stratify=iris_y)
mean, std = X_train.mean(axis=0), X_train.std(axis=0)
X_train, X_test = (X_train - mean) / std, (X_test - mean) / std
Y_train, Y_test = np.eye(3)[y_train], np.eye(3)[y_test]


def train(network, X, Y, epochs):
    """Full-batch gradient descent; returns the loss of every epoch."""
    losses = []
    for _ in range(epochs):
        out = network.forward(X)
        losses.append(network.backward(Y, out))
        network.update()
    return losses


def make_network(hidden_size, learning_rate):
    """Input -> FullyConnected(hidden, ReLU) -> FullyConnected(3, SoftMax)."""
    return NeuralNetwork([FullyConnected(hidden_size, ReLU()), FullyConnected(3, SoftMax())],
                         CrossEntropy(), learning_rate)


# %% [markdown]
# Before training, check the whole network end to end: a network of your classes must
# back-propagate the right gradient into every layer (2 of the 6 points below; hidden
# tests repeat it with other sizes).

# %% grade_id="iris-gradients" kind="test" points=2
nn_utils.check_network_gradients(NeuralNetwork, FullyConnected, ReLU, SoftMax, CrossEntropy)
### BEGIN HIDDEN TESTS
nn_utils.check_network_gradients(NeuralNetwork, FullyConnected, ReLU, SoftMax, CrossEntropy,
                                 seed=13, sizes=(7, 3, 4), batch=5)
### END HIDDEN TESTS

# %% [markdown]
# **Code (4 more points).** Search over at least three learning rates and two hidden
# sizes, every combination: for each setting call `np.random.seed(0)`, build the
# network with `make_network` and train it for 300 epochs with `train`. Leave the
# search's result in these names, which the check below reads:
#
# * `results[(learning_rate, hidden_size)]`: that setting's training losses, the list
#   `train` returns (or just the final training loss, a number), one entry per setting;
# * `best`: the key of `results` with the lowest final *training* loss;
# * `best_network`: the network trained with the setting `best`;
# * `best_losses`: its training losses, for the plot below.
#
# The check computes the test accuracy of `best_network` itself, from the parameters of
# its layers (a forward pass with ReLU hidden layers), and requires at least 0.9 (27 of
# the 30 test flowers); a correct search gets 29 or more right. It also checks that
# `results` holds at least three learning rates and two hidden sizes, that `best` is the
# lowest final training loss in `results` and that `best_network` has the hidden size
# (and learning rate) `best` names. These 4 points grade your search; the plot and the report below are
# graded by a person.

# %% grade_id="iris-search" kind="solution"
results = {}  # (learning_rate, hidden_size) -> training losses of that setting
best, best_network, best_losses = None, None, None
### BEGIN SOLUTION
networks = {}
for learning_rate in (0.01, 0.1, 0.5):
    for hidden_size in (5, 20):
        np.random.seed(0)
        network = make_network(hidden_size, learning_rate)
        results[(learning_rate, hidden_size)] = train(network, X_train, Y_train, epochs=300)
        networks[(learning_rate, hidden_size)] = network
        print(f"learning rate {learning_rate:<5} hidden {hidden_size:<3} "
              f"final training loss {results[(learning_rate, hidden_size)][-1]:.4f}")
best = min(results, key=lambda setting: results[setting][-1])
best_network, best_losses = networks[best], results[best]
### END SOLUTION
Y_hat, test_loss = best_network.predict(X_test, Y_test)
test_accuracy = np.mean(Y_hat.argmax(axis=1) == y_test)
print(f"best {best}: test loss {test_loss:.4f}, test accuracy {test_accuracy:.4f}")

# %% grade_id="iris-check" kind="test" points=4
nn_utils.check_iris_search(results, best, best_network, X_test, y_test, minimum=0.9)

# %% [markdown]
# **Plot and report (3 points, graded by a person).** Plot the training loss of the best
# setting against the iteration, and say in two sentences how the learning rate and the
# hidden size affected training.

# %% grade_id="iris-report" kind="answer" points=3
### BEGIN SOLUTION
plt.figure()
plt.plot(best_losses)
plt.xlabel("iteration")
plt.ylabel("training loss")
plt.title(f"learning rate {best[0]}, hidden size {best[1]}")
plt.show()
print("A learning rate of 0.01 barely moves in 300 steps; 0.1 and 0.5 converge, 0.5 "
      "fastest. The hidden size matters little on iris: 5 units already suffice.")
# Rubric: 1 for the plot with labelled axes; 2 for a report consistent with the printed
# losses (1 if it only restates the numbers).
### END SOLUTION

# %% [markdown]
# ## 6.1 einsum
#
# `np.einsum` names the axes of its operands with letters; letters that do not appear
# in the output are summed over. Write each function with a single call to `np.einsum`
# (the check makes sure you do):
#
# * `trace_einsum(A)`: the trace of a square matrix, like `np.trace(A)`;
# * `matmul_einsum(A, B)`: the matrix product, like `A @ B`;
# * `batched_matmul_einsum(A, B)`: for A (b, n, k) and B (b, k, m), the product of each
#   pair of matrices, like `np.matmul(A, B)`.
#
# **A change from the original homework.** There, this part was a script: make random
# arrays, compute each result with `np.einsum` and with numpy, print both and their
# difference. Here the three einsum calls must sit in these three functions, so that
# the check can call them with inputs of its own. If you have such a script, move each
# `np.einsum(...)` into the `return` line of its function, with the script's arrays
# renamed to the function's arguments (`A`, `B`). You may keep the script's comparisons
# and prints below the functions, in the same cell: the check ignores them.

# %% grade_id="einsum-impl" kind="solution"
def trace_einsum(A):
    ### BEGIN SOLUTION
    return np.einsum("ii->", A)
    ### END SOLUTION


def matmul_einsum(A, B):
    ### BEGIN SOLUTION
    return np.einsum("ij,jk->ik", A, B)
    ### END SOLUTION


def batched_matmul_einsum(A, B):
    ### BEGIN SOLUTION
    return np.einsum("bnk,bkm->bnm", A, B)
    ### END SOLUTION


# %% grade_id="einsum-check" kind="test" points=3
nn_utils.check_einsum(trace_einsum, matmul_einsum, batched_matmul_einsum)

# %% [markdown]
# ## 6.2 Convolution
#
# `Conv2D` cross-correlates a zero-padded input $X$ (batch, rows, cols, in_channels) with
# kernels $W$ (kernel_rows, kernel_cols, in_channels, out_channels), moving by `stride`,
# and adds a bias $b$ (1, out_channels):
#
# $$Z[n, d_1, d_2, f] = b_f + \sum_{i, k, c} X_{\text{pad}}[n, d_1 s + i, d_2 s + k, c]
#   \, W[i, k, c, f].$$
#
# The output has $\lfloor (\text{rows} + 2p - k_r) / s \rfloor + 1$ rows (and likewise
# columns). `pad="valid"` means no padding and an integer $p$ pads $p$ zeros on every
# side. `pad="same"` pads $p = \lfloor (k - 1) / 2 \rfloor$ zeros on both sides of an
# axis with kernel size $k$: for an **odd** $k$ at stride 1 the output keeps the input's
# size (at stride $s$ it has $\lceil \text{rows} / s \rceil$ rows); for an even $k$ it
# is one row (or column) smaller, since $k - 1$ zeros cannot be split evenly between
# the two sides. `_init_parameters` turns `self.pad` into a pair `(pad_rows, pad_cols)`,
# and the given `pad2d(X, self.pad, self.kernel_shape, self.stride)` pads `X` with it.
#
# **Written (4 points).** Give $\partial L / \partial b_f$, $\partial L / \partial
# W[i, k, c, f]$ and $\partial L / \partial X_{\text{pad}}[n, x, y, c]$ in terms of
# $\partial L / \partial Z$ (stride 1 is enough).

# %% [markdown] grade_id="conv-derivation" kind="answer" points=4
# **Model answer.** $\frac{\partial L}{\partial b_f} = \sum_{n, d_1, d_2}
# \frac{\partial L}{\partial Z[n, d_1, d_2, f]}$;
# $\frac{\partial L}{\partial W[i,k,c,f]} = \sum_{n, d_1, d_2} \frac{\partial L}{\partial
# Z[n, d_1, d_2, f]} X_{\text{pad}}[n, d_1 + i, d_2 + k, c]$;
# $\frac{\partial L}{\partial X_{\text{pad}}[n, x, y, c]} = \sum_{f, i, k}
# \frac{\partial L}{\partial Z[n, x - i, y - k, f]} W[i, k, c, f]$ over the $(i, k)$ for
# which $(x - i, y - k)$ is an output position; the padding is then cropped off.
#
# **Rubric.** 1 for the bias (summed over the batch and both spatial axes); 1 for the
# kernel; 2 for the input (1 if the sum over output channels or the valid range is
# missing).

# %% [markdown]
# **Code (12 points).** Write `forward` and `backward` without Python loops over the
# batch, rows and columns together: loop over the kernel positions (or the output
# positions) at most, and let numpy do the rest. `forward` returns the activation of
# $Z$; `backward` goes through the activation, fills `self.gradients` and returns
# $\partial L / \partial X$. A very slow version fails its check with a message rather
# than holding up grading.

# %% grade_id="conv-impl" kind="solution"
class Conv2D(Layer):
    def __init__(self, n_out: int, kernel_shape: Tuple[int, int], activation, stride: int = 1,
                 pad="same", weight_init: str = "xavier_uniform"):
        super().__init__()
        self.n_out = n_out
        self.kernel_shape = kernel_shape
        self.activation = activation
        self.stride = stride
        self.pad = pad
        self.init_weights = initialize_weights(weight_init)

    def _init_parameters(self, X_shape) -> None:
        """Create W (kernel_rows, kernel_cols, n_in, n_out) and b (1, n_out); resolve pad."""
        self.n_in = X_shape[3]
        W = self.init_weights(tuple(self.kernel_shape) + (self.n_in, self.n_out))
        b = np.zeros((1, self.n_out))
        self.parameters = OrderedDict({"W": W, "b": b})
        self.cache = OrderedDict({"Z": None, "X": None})
        self.gradients = OrderedDict({"W": np.zeros_like(W), "b": np.zeros_like(b)})
        if self.pad == "same":
            self.pad = ((self.kernel_shape[0] - 1) // 2, (self.kernel_shape[1] - 1) // 2)
        elif self.pad == "valid":
            self.pad = (0, 0)
        elif isinstance(self.pad, (int, np.integer)):
            self.pad = (int(self.pad), int(self.pad))
        elif isinstance(self.pad, (tuple, list)) and len(self.pad) == 2:
            self.pad = tuple(self.pad)
        else:
            raise ValueError(f"Conv2D: pad must be 'same', 'valid', an int or a pair, "
                             f"got {self.pad!r}")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Activation of the cross-correlation of X (batch, rows, cols, n_in).

        Returns Y of shape (batch, out_rows, out_cols, n_out).
        """
        if self.n_in is None:
            self._init_parameters(X.shape)
        ### BEGIN SOLUTION
        W, b = self.parameters["W"], self.parameters["b"]
        kernel_rows, kernel_cols = self.kernel_shape
        s = self.stride
        X_pad, _ = pad2d(X, self.pad, self.kernel_shape, s)
        windows = np.lib.stride_tricks.sliding_window_view(
            X_pad, (kernel_rows, kernel_cols), axis=(1, 2))[:, ::s, ::s]
        # windows: (batch, out_rows, out_cols, n_in, kernel_rows, kernel_cols)
        Z = np.einsum("nxycij,ijcf->nxyf", windows, W, optimize=True) + b[0]
        self.cache["X"], self.cache["Z"] = X, Z
        ### END SOLUTION
        return self.activation(Z)

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        """Fill self.gradients["W"] (kernel_rows, kernel_cols, n_in, n_out) and ["b"]
        (1, n_out) for dLdY (batch, out_rows, out_cols, n_out); return dL/dX, the shape
        of X."""
        ### BEGIN SOLUTION
        X, W = self.cache["X"], self.parameters["W"]
        Z = self.cache["Z"]
        kernel_rows, kernel_cols = self.kernel_shape
        s = self.stride
        dZ = self.activation.backward(Z, dLdY)
        X_pad, p = pad2d(X, self.pad, self.kernel_shape, s)
        dX_pad = np.zeros_like(X_pad)
        dW = np.zeros_like(W)
        out_rows, out_cols = dZ.shape[1], dZ.shape[2]
        for i in range(kernel_rows):
            for k in range(kernel_cols):
                rows = slice(i, i + s * (out_rows - 1) + 1, s)
                cols = slice(k, k + s * (out_cols - 1) + 1, s)
                dW[i, k] = np.einsum("nxyc,nxyf->cf", X_pad[:, rows, cols, :], dZ)
                dX_pad[:, rows, cols, :] += np.einsum("nxyf,cf->nxyc", dZ, W[i, k])
        self.gradients["W"] = dW
        self.gradients["b"] = dZ.sum(axis=(0, 1, 2))[None, :]
        dX = dX_pad[:, p[0]:p[0] + X.shape[1], p[2]:p[2] + X.shape[2], :]
        ### END SOLUTION
        return dX


# %% grade_id="conv-check" kind="test" points=6
nn_utils.check_conv2d(Conv2D)

# %% grade_id="conv-hidden" kind="test" points=6
# Hidden tests for 6.2 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_conv2d(Conv2D, seed=13)
### END HIDDEN TESTS

# %% [markdown]
# ## 6.3 Pooling
#
# `Pool2D` slides a window over each channel and keeps its maximum (`mode="max"`) or its
# mean (`mode="average"`). Its `__init__` (given) resolves `pad` as `Conv2D` does
# (`"same"`, `"valid"`, an int or a pair) into `self.pad = (pad_rows, pad_cols)`, and
# sets `self.pool_fn` (`np.max` or `np.mean`) and, for max pooling,
# `self.arg_pool_fn = np.argmax`; use them if you like, with `pad2d` for the padding.
#
# **Ties in max pooling.** When several entries of a window share its maximum, the
# maximum is not differentiable there, and any split of the output's gradient among
# the tied entries that adds up to the whole is a valid (sub)gradient. The model
# solution gives it all to one of them, the first in the order of
# `self.arg_pool_fn` (`np.argmax` over the flattened window), as PyTorch does. The
# checks accept that, an even split among the ties, and also the common mask
# `window == window.max()` that gives every tied entry the whole gradient: it is not a
# subgradient, but it differs only on exact ties, which in a network mostly happen in
# windows of zeros after a ReLU, whose backward discards them anyway. Sending gradient
# to an entry that is not a maximum, or none to a window's maxima, fails.
#
# **Written (3 points).** What must each kind of pooling remember from the forward pass
# to compute its backward pass, and where does the gradient of each output go?

# %% [markdown] grade_id="pool-derivation" kind="answer" points=3
# **Model answer.** Max pooling must remember where each window's maximum was (or the
# input, to find it again): the whole gradient of an output goes to that one input (on
# a tie, to one of the tied inputs, or split among them), and inputs that win several
# overlapping windows add up their gradients. Average pooling needs only the input's
# shape and the window size: each output's gradient is divided by the window size and
# added to every input in the window.
#
# **Rubric.** 1 for max (the arg-max); 1 for average (the window size and shape only);
# 1 for saying that overlapping windows accumulate.

# %% grade_id="pool-impl" kind="solution"
class Pool2D(Layer):
    def __init__(self, kernel_shape: Tuple[int, int], mode: str = "max", stride: int = 1,
                 pad=0):
        super().__init__()
        if isinstance(kernel_shape, int):
            kernel_shape = (kernel_shape, kernel_shape)
        self.kernel_shape = tuple(kernel_shape)
        self.stride = stride
        if isinstance(pad, str) and pad == "same":
            self.pad = ((self.kernel_shape[0] - 1) // 2, (self.kernel_shape[1] - 1) // 2)
        elif isinstance(pad, str) and pad == "valid":
            self.pad = (0, 0)
        elif isinstance(pad, (int, np.integer)):
            self.pad = (int(pad), int(pad))
        elif isinstance(pad, (tuple, list)) and len(pad) == 2:
            self.pad = tuple(pad)
        else:
            raise ValueError(f"Pool2D: pad must be 'same', 'valid', an int or a pair, got {pad!r}")
        self.mode = mode
        if mode == "max":
            self.pool_fn, self.arg_pool_fn = np.max, np.argmax
        elif mode == "average":
            self.pool_fn, self.arg_pool_fn = np.mean, None
        else:
            raise ValueError(f"Pool2D: mode must be 'max' or 'average', got {mode!r}")

    def forward(self, X: np.ndarray) -> np.ndarray:
        """Pooled array (batch, out_rows, out_cols, channels) of X (batch, rows, cols, channels)."""
        ### BEGIN SOLUTION
        kernel_rows, kernel_cols = self.kernel_shape
        s = self.stride
        X_pad, p = pad2d(X, self.pad, self.kernel_shape, s)
        windows = np.lib.stride_tricks.sliding_window_view(
            X_pad, (kernel_rows, kernel_cols), axis=(1, 2))[:, ::s, ::s]
        # windows: (batch, out_rows, out_cols, channels, kernel_rows, kernel_cols)
        pooled = self.pool_fn(windows, axis=(4, 5))
        self.cache["X_pad"], self.cache["p"], self.cache["X_shape"] = X_pad, p, X.shape
        ### END SOLUTION
        return pooled

    def backward(self, dLdY: np.ndarray) -> np.ndarray:
        """dL/dX (batch, rows, cols, channels) for dLdY (batch, out_rows, out_cols, channels)."""
        ### BEGIN SOLUTION
        kernel_rows, kernel_cols = self.kernel_shape
        s = self.stride
        X_pad, p, X_shape = self.cache["X_pad"], self.cache["p"], self.cache["X_shape"]
        windows = np.lib.stride_tricks.sliding_window_view(
            X_pad, (kernel_rows, kernel_cols), axis=(1, 2))[:, ::s, ::s]
        if self.mode == "max":
            # The whole gradient goes to one maximum per window: the first one argmax finds.
            flat = windows.reshape(windows.shape[:4] + (kernel_rows * kernel_cols,))
            winner = self.arg_pool_fn(flat, axis=-1)
            share = np.arange(kernel_rows * kernel_cols) == winner[..., None]
            share = share.reshape(windows.shape)
        else:
            share = np.full(windows.shape, 1.0 / (kernel_rows * kernel_cols))
        dX_pad = np.zeros_like(X_pad)
        out_rows, out_cols = dLdY.shape[1], dLdY.shape[2]
        for i in range(kernel_rows):
            for k in range(kernel_cols):
                rows = slice(i, i + s * (out_rows - 1) + 1, s)
                cols = slice(k, k + s * (out_cols - 1) + 1, s)
                dX_pad[:, rows, cols, :] += dLdY * share[..., i, k]
        dX = dX_pad[:, p[0]:p[0] + X_shape[1], p[2]:p[2] + X_shape[2], :]
        ### END SOLUTION
        return dX


# %% grade_id="pool-check" kind="test" points=5
nn_utils.check_pool2d(Pool2D)

# %% grade_id="pool-hidden" kind="test" points=5
# Hidden tests for 6.3 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_pool2d(Pool2D, seed=17)
### END HIDDEN TESTS

# %% [markdown]
# ## Submitting
#
# *Kernel -> Restart & Run All*, check that every check printed
# `All checks passed successfully!` (`python -m nn_utils.self_check nn_framework.ipynb` in a
# terminal here lists any that fail), save, and hand in this notebook (and the optional
# PyTorch notebook if you did it). For a PDF, offline:
# `python -m nn_utils.export_pdf nn_framework.ipynb --name "Your Name"`.
