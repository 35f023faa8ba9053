# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Fully connected networks from modular layers
#
# The two-layer network of the previous notebook does everything in one class: a new
# depth, a new optimiser or a new regulariser would mean rewriting its loss and its
# gradients. Here you build networks from **layers** instead. Each layer is a pair of
# functions:
#
# * `*_forward(inputs...)` returns `(out, cache)`: the output, and whatever the backward
#   pass will need;
# * `*_backward(dout, cache)` receives $\partial L / \partial \text{out}$ and returns the
#   gradients with respect to the forward's inputs.
#
# A network is then a chain of forward calls and the same chain of backward calls in
# reverse, and a separate `Solver` trains any model that offers `params` and `loss`.
#
# **Points: 47.** Affine layer 6, ReLU 4, affine-ReLU 3, two-layer network 12, training
# with the Solver 5, multilayer network 12, overfitting a small set 5.
#
# **How you are graded.** A cell after each part calls a checker from `nn_utils`; it
# prints `All checks passed successfully!` or stops with a message naming the function,
# the array and the likely mistake. Hidden tests at grading time repeat the checks with
# other shapes and seeds. **Rules:** numpy only, no loop over the examples of a batch; do
# not edit the locked cells; before you submit, *Kernel -> Restart & Run All*.

# %% grade_id="setup" kind="readonly"
import numpy as np
import matplotlib.pyplot as plt

import nn_utils
from nn_utils import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from nn_utils.solver import Solver

plt.rcParams["figure.figsize"] = (10.0, 8.0)
plt.rcParams["image.interpolation"] = "nearest"
plt.rcParams["image.cmap"] = "gray"

# %% [markdown]
# ## The data
#
# CIFAR-10 as channels-first images, $(N, 3, 32, 32)$, with the mean training image
# subtracted: 10000 for training, 1000 for validation and 1000 for testing, in float32.
# Without the real files `nn_utils` falls back to a stand-in and says so; the accuracy
# required below is set for each. As in the previous notebook, 10000 images (123 MB)
# rather than cs231n's 49000 in float64 (1.2 GB) keep the notebook within the 768 MB it
# is graded in; the accuracies asked for are set for these 10000.

# %% grade_id="data" kind="readonly"
data = nn_utils.get_CIFAR10_data(num_training=10000, dtype=np.float32)
DATA = nn_utils.source_of("cifar10")
print(DATA)
for name, array in data.items():
    print(f"{name}: {array.shape}")

# %% [markdown]
# ## The affine layer [6 points]
#
# An affine (fully connected) layer flattens each example of
# $x \in \mathbb{R}^{N \times d_1 \times \dots \times d_k}$ into a row of length
# $D = d_1 \cdots d_k$ and computes $\text{out} = x\,w + b$ with $w$ of shape $(D, M)$ and
# $b$ of shape $(M,)$. Note that $w$ is $(D, M)$ here, the transpose of the previous
# notebook's $W_1$. In the backward pass, with $\bar{x}$ the flattened input:
#
# $$dx = \text{dout}\; w^T \text{ (reshaped to } x\text{'s shape)}, \qquad
#   dw = \bar{x}^T\, \text{dout}, \qquad db = \sum_{n} \text{dout}_n .$$

# %% grade_id="affine-impl" kind="solution"
def affine_forward(x, w, b):
    """Affine layer, forward.

    Inputs: x (N, d_1, ..., d_k); w (D, M) with D = d_1 * ... * d_k; b (M,).
    Returns (out, cache): out (N, M); cache = (x, w, b).
    """
    out = None
    ### BEGIN SOLUTION
    out = x.reshape(x.shape[0], -1) @ w + b
    ### END SOLUTION
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Affine layer, backward.

    Inputs: dout (N, M); cache = (x, w, b) from affine_forward.
    Returns (dx, dw, db) of the shapes of x, w and b.
    """
    x, w, b = cache
    dx = dw = db = None
    ### BEGIN SOLUTION
    dx = np.reshape(dout @ w.T, x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


# %% [markdown]
# With these inputs the output must be
# `[[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]]`; the
# relative error should be about $10^{-9}$.

# %% grade_id="affine-compare" kind="readonly"
num_inputs, input_shape, output_dim = 2, (4, 5, 6), 3
features = int(np.prod(input_shape))
x = np.linspace(-0.1, 0.5, num_inputs * features).reshape(num_inputs, *input_shape)
w = np.linspace(-0.2, 0.3, features * output_dim).reshape(features, output_dim)
b = np.linspace(-0.3, 0.1, output_dim)
out = affine_forward(x, w, b)[0]
correct_out = np.array([[1.49834967, 1.70660132, 1.91485297],
                        [3.25553199, 3.5141327, 3.77273342]])
print("affine_forward relative error:", rel_error(out, correct_out))

np.random.seed(231)
x, w, b = np.random.randn(10, 2, 3), np.random.randn(6, 5), np.random.randn(5)
dout = np.random.randn(10, w.shape[1])
dx, dw, db = affine_backward(dout, affine_forward(x, w, b)[1])
for name, value, analytic in [("x", x, dx), ("w", w, dw), ("b", b, db)]:
    def forward_of(v, name=name):
        args = {"x": x, "w": w, "b": b, name: v}
        return affine_forward(args["x"], args["w"], args["b"])[0]
    numerical = eval_numerical_gradient_array(forward_of, value.copy(), dout)
    print(f"d{name} relative error: {rel_error(numerical, analytic):.2e}")

# %% grade_id="affine-check" kind="test" points=4
nn_utils.check_affine_functions(affine_forward, affine_backward)

# %% grade_id="affine-hidden" kind="test" points=2
# Hidden tests for the affine layer run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_affine_functions(affine_forward, affine_backward, seed=201,
                                shapes=((1, (3, 1, 2), 2), (6, (4, 4), 3)))
### END HIDDEN TESTS

# %% [markdown]
# ## The ReLU layer [4 points]
#
# $\text{out} = \max(0, x)$ entrywise, for $x$ of any shape; the gradient passes `dout`
# where $x > 0$ and blocks it elsewhere.

# %% grade_id="relu-impl" kind="solution"
def relu_forward(x):
    """ReLU, forward. Input x of any shape. Returns (out, cache): out like x; cache = x."""
    out = None
    ### BEGIN SOLUTION
    out = np.maximum(0, x)
    ### END SOLUTION
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """ReLU, backward. Inputs: dout like x; cache = x. Returns dx like x."""
    x = cache
    dx = None
    ### BEGIN SOLUTION
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


# %% grade_id="relu-check" kind="test" points=3
nn_utils.check_relu_functions(relu_forward, relu_backward)

# %% grade_id="relu-hidden" kind="test" points=1
# Hidden tests for the ReLU layer run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_relu_functions(relu_forward, relu_backward, seed=202, shapes=((1, 7), (3, 2, 2, 2)))
### END HIDDEN TESTS

# %% [markdown]
# ## Affine followed by ReLU [3 points]
#
# This pair comes up in every hidden layer, so it gets its own "sandwich" layer built
# from the two above. Its cache holds both caches.
#
# **You write this one.** In the original version of this homework
# `affine_relu_forward` and `affine_relu_backward` were handed out already written; here
# they are a graded task (3 points). Complete both in the cell below, building on your
# `affine_*` and `relu_*` functions: the cell gives only their signatures, and nothing
# else in the notebook defines them.

# %% grade_id="affinerelu-impl" kind="solution"
def affine_relu_forward(x, w, b):
    """Affine then ReLU. Inputs as affine_forward. Returns (out, cache)."""
    ### BEGIN SOLUTION
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    cache = (fc_cache, relu_cache)
    ### END SOLUTION
    return out, cache


def affine_relu_backward(dout, cache):
    """Backward of affine_relu_forward. Returns (dx, dw, db)."""
    ### BEGIN SOLUTION
    fc_cache, relu_cache = cache
    dx, dw, db = affine_backward(relu_backward(dout, relu_cache), fc_cache)
    ### END SOLUTION
    return dx, dw, db


# %% grade_id="affinerelu-check" kind="test" points=2
nn_utils.check_affine_relu_functions(affine_relu_forward, affine_relu_backward)

# %% grade_id="affinerelu-hidden" kind="test" points=1
# Hidden tests for the affine-ReLU layer run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_affine_relu_functions(affine_relu_forward, affine_relu_backward, seed=203)
### END HIDDEN TESTS

# %% [markdown]
# ## Loss layers (given)
#
# The multiclass SVM and the softmax loss, each returning `(loss, dx)` for scores $x$ of
# shape $(N, C)$ and integer labels $y$. You wrote the softmax loss in the previous
# notebook; here it is given, in its numerically stable form.

# %% grade_id="losses" kind="readonly"
def svm_loss(x, y):
    """Multiclass SVM loss (margin 1) and its gradient. x (N, C), y (N,). Returns (loss, dx)."""
    N = x.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, x - x[rows, y][:, np.newaxis] + 1.0)
    margins[rows, y] = 0.0
    loss = margins.sum() / N
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(N), y] -= dx.sum(axis=1)
    return loss, dx / N


def softmax_loss(x, y):
    """Softmax cross-entropy averaged over the batch and its gradient. Returns (loss, dx)."""
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = x.shape[0]
    loss = -log_probs[np.arange(N), y].mean()
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return loss, dx / N


np.random.seed(231)
scores, labels = 0.001 * np.random.randn(50, 10), np.random.randint(10, size=50)
loss, dx = softmax_loss(scores, labels)
numerical = eval_numerical_gradient(lambda s: softmax_loss(s, labels)[0], scores, verbose=False)
print(f"softmax loss {loss:.4f} (about log 10 = 2.3026); dx relative error {rel_error(numerical, dx):.1e}")

# %% [markdown]
# ## A modular two-layer network [12 points]
#
# `TwoLayerNet` is affine - ReLU - affine - softmax, built from your layers. It does not
# train itself: it stores its parameters in `self.params` (`W1` of shape $(D, H)$, `b1`,
# `W2` of shape $(H, C)$, `b2`) and its `loss(X, y=None)` returns the scores in test mode
# (`y is None`) or `(loss, grads)` in training mode. The loss includes
# $\tfrac{1}{2}\,\text{reg}\,(\lVert W_1 \rVert^2 + \lVert W_2 \rVert^2)$, with `reg`
# stored in `self.reg`. Initialise the weights from a normal distribution with mean 0 and
# standard deviation `weight_scale`, the biases with zeros.
#
# The check below uses the notebook's test case: with the given linspace parameters the
# loss must be 3.4702243556 without regularisation and 26.5948426952 with `reg = 1.0`.

# %% grade_id="twolayer-impl" kind="solution"
class TwoLayerNet(object):
    """affine - relu - affine - softmax, with L2 regularisation of the weights."""

    def __init__(self, input_dim=3 * 32 * 32, hidden_dims=100, num_classes=10, dropout=0,
                 weight_scale=1e-3, reg=0.0):
        """
        Inputs:
        - input_dim: D; hidden_dims: H (an integer); num_classes: C.
        - dropout: unused in this assignment.
        - weight_scale: the standard deviation of the initial weights.
        - reg: the L2 regularisation strength.
        """
        self.params = {}
        self.reg = reg
        ### BEGIN SOLUTION
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dims)
        self.params["b1"] = np.zeros(hidden_dims)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dims, num_classes)
        self.params["b2"] = np.zeros(num_classes)
        ### END SOLUTION

    def loss(self, X, y=None):
        """
        Inputs: X (N, d_1, ..., d_k); y (N,) labels, or None.
        Returns: scores (N, C) if y is None, else (loss, grads) with grads keyed like params.
        """
        scores = None
        ### BEGIN SOLUTION
        hidden, hidden_cache = affine_relu_forward(X, self.params["W1"], self.params["b1"])
        scores, scores_cache = affine_forward(hidden, self.params["W2"], self.params["b2"])
        ### END SOLUTION
        if y is None:
            return scores

        loss, grads = 0, {}
        ### BEGIN SOLUTION
        loss, d_scores = softmax_loss(scores, y)
        W1, W2 = self.params["W1"], self.params["W2"]
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        d_hidden, grads["W2"], grads["b2"] = affine_backward(d_scores, scores_cache)
        _, grads["W1"], grads["b1"] = affine_relu_backward(d_hidden, hidden_cache)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        ### END SOLUTION
        return loss, grads


# %% grade_id="twolayer-compare" kind="readonly"
N, D, H, C = 3, 5, 50, 7
model = TwoLayerNet(input_dim=D, hidden_dims=H, num_classes=C, weight_scale=1e-2)
model.params["W1"] = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
model.params["b1"] = np.linspace(-0.1, 0.9, num=H)
model.params["W2"] = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
model.params["b2"] = np.linspace(-0.9, 0.1, num=C)
X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
labels = np.asarray([0, 5, 1])
for reg, correct_loss in [(0.0, 3.4702243556), (1.0, 26.5948426952)]:
    model.reg = reg
    loss, grads = model.loss(X, labels)
    print(f"reg = {reg}: loss {loss:.10f}, difference from the known loss {abs(loss - correct_loss):.1e}")
    for name in sorted(grads):
        numerical = eval_numerical_gradient(lambda _: model.loss(X, labels)[0], model.params[name],
                                            verbose=False)
        print(f"  {name} relative error: {rel_error(numerical, grads[name]):.2e}")

# %% grade_id="twolayer-check" kind="test" points=8
nn_utils.check_fc_two_layer_net(TwoLayerNet)

# %% grade_id="twolayer-hidden" kind="test" points=4
# Hidden tests for the two-layer network run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_fc_two_layer_net(TwoLayerNet, seed=204)
### END HIDDEN TESTS

# %% [markdown]
# ## Training with the Solver [5 points]
#
# `nn_utils.solver.Solver` trains any model with `params` and `loss`: it draws
# minibatches, calls `loss`, updates every parameter with an update rule (`"sgd"` here),
# decays the learning rate after each epoch, records `loss_history`,
# `train_acc_history` and `val_acc_history`, and finally keeps the parameters that
# scored best on the validation set. Read its docstring: `help(Solver)`.
#
# Train a `TwoLayerNet` with 200 hidden units to the validation accuracy below, and keep
# the trained model in `model` and the solver in `solver`. Training runs inside
# `nn_utils.training_budget()`, which stops it after 100 seconds (here and at grading
# alike); about ten epochs, some ten seconds, are enough.
#
# | data | required validation accuracy |
# |---|---|
# | real CIFAR-10 | 0.40 |
# | the offline stand-in | 0.60 |

# %% grade_id="solver-code" kind="solution"
model = TwoLayerNet(hidden_dims=200, weight_scale=1e-3)
solver = None
with nn_utils.training_budget():
    ### BEGIN SOLUTION
    np.random.seed(0)
    model = TwoLayerNet(hidden_dims=200, weight_scale=1e-3)
    solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=200, print_every=500)
    solver.train()
    ### END SOLUTION

# %% grade_id="solver-plot" kind="readonly"
plt.subplot(2, 1, 1)
plt.title("Training loss")
plt.plot(solver.loss_history, "o")
plt.xlabel("Iteration")
plt.subplot(2, 1, 2)
plt.title("Accuracy")
plt.plot(solver.train_acc_history, "-o", label="train")
plt.plot(solver.val_acc_history, "-o", label="val")
plt.xlabel("Epoch")
plt.legend(loc="lower right")
plt.gcf().set_size_inches(14, 10)
plt.show()

# %% grade_id="solver-check" kind="test" points=5
_required = {"real": 0.40, "standin": 0.60}[DATA.kind]
_accuracy = nn_utils.check_validation_accuracy(model, data, _required, "the Solver-trained TwoLayerNet")
print(f"validation accuracy {_accuracy:.3f} on {DATA.kind} data (required {_required})")

# %% [markdown]
# ## A network of any depth [12 points]
#
# `FullyConnectedNet` has `len(hidden_dims)` hidden layers:
# $\{\text{affine} - \text{ReLU}\} \times (L - 1) - \text{affine} - \text{softmax}$.
# Layer $i$ has parameters `W{i}` and `b{i}`, from `W1`/`b1` up to `W{L}`/`b{L}`.
# Ignore dropout and batch normalisation: their arguments and the lines that prepare
# them stay for a later assignment. The regularisation covers every weight matrix.
# Compute in `self.dtype` (float64 for gradient checks).

# %% grade_id="fcnet-impl" kind="solution"
class FullyConnectedNet:
    """{affine - relu} x (L - 1) - affine - softmax, L = len(hidden_dims) + 1."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout=0,
                 use_batchnorm=False, reg=0.0, weight_scale=1e-2, dtype=np.float32,
                 seed=None):
        """
        Inputs:
        - hidden_dims: list of the hidden layers' sizes.
        - input_dim, num_classes: D and C.
        - dropout, use_batchnorm, seed: for a later assignment.
        - reg: L2 strength; weight_scale: std of the initial weights.
        - dtype: the numpy type of every parameter and computation.
        """
        self.use_batchnorm = bool(use_batchnorm)
        self.use_dropout = 0 < dropout
        self.reg = reg
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
        self.params = {}

        ### BEGIN SOLUTION
        dims = [input_dim, *hidden_dims, num_classes]
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = weight_scale * np.random.randn(dims[i - 1], dims[i])
            self.params[f"b{i}"] = np.zeros(dims[i])
        ### END SOLUTION

        # Prepared for dropout and batch normalisation (a later assignment).
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout}
            if seed is not None:
                self.dropout_param["seed"] = seed
        self.bn_params = []
        if self.use_batchnorm:
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X, y=None):
        """As TwoLayerNet.loss: scores if y is None, else (loss, grads)."""
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for settings in self.bn_params:
            settings["mode"] = mode

        scores = None
        ### BEGIN SOLUTION
        caches = []
        out = X
        for i in range(1, self.num_layers):
            out, cache = affine_relu_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            caches.append(cache)
        last = self.num_layers
        scores, last_cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])
        ### END SOLUTION
        if mode == "test":
            return scores

        loss, grads = 0.0, {}
        ### BEGIN SOLUTION
        loss, d_out = softmax_loss(scores, y)
        d_out, grads[f"W{last}"], grads[f"b{last}"] = affine_backward(d_out, last_cache)
        for i in range(last - 1, 0, -1):
            d_out, grads[f"W{i}"], grads[f"b{i}"] = affine_relu_backward(d_out, caches[i - 1])
        for i in range(1, last + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{i}"] += self.reg * W
        ### END SOLUTION
        return loss, grads


# %% grade_id="fcnet-compare" kind="readonly"
np.random.seed(231)
N, D, H1, H2, C = 2, 15, 20, 30, 10
X = np.random.randn(N, D)
y = np.random.randint(0, C, size=N)
for reg in [0, 3.14]:
    model_check = FullyConnectedNet([H1, H2], input_dim=D, num_classes=C, reg=reg,
                                    weight_scale=5e-2, dtype=np.float64)
    loss, grads = model_check.loss(X, y)
    print(f"reg = {reg}: initial loss {loss:.4f}")
    for name in sorted(grads):
        numerical = eval_numerical_gradient(lambda _: model_check.loss(X, y)[0],
                                            model_check.params[name], verbose=False, h=1e-5)
        print(f"  {name} relative error: {rel_error(numerical, grads[name]):.2e}")

# %% grade_id="fcnet-check" kind="test" points=8
nn_utils.check_fully_connected_net(FullyConnectedNet)

# %% grade_id="fcnet-hidden" kind="test" points=4
# Hidden tests for FullyConnectedNet run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_fully_connected_net(FullyConnectedNet, seed=205,
                                   cases=(((9, 8), 0.0), ((3, 4, 5, 6), 1.5), ((12,), 0.0)))
### END HIDDEN TESTS

# %% [markdown]
# ## Overfitting a small data set [5 points]
#
# A network that can learn anything must be able to learn 50 examples by heart. Pick a
# `weight_scale` and a `learning_rate` with which the three-layer network below reaches a
# training accuracy of 1.0 within 20 epochs.

# %% grade_id="overfit-choice" kind="solution"
### BEGIN SOLUTION
weight_scale = 3e-2
learning_rate = 1e-3
### END SOLUTION

# %% grade_id="overfit-run" kind="readonly"
num_train = 50
small_data = {"X_train": data["X_train"][:num_train], "y_train": data["y_train"][:num_train],
              "X_val": data["X_val"], "y_val": data["y_val"]}
np.random.seed(231)
model = FullyConnectedNet([100, 100], weight_scale=weight_scale, dtype=np.float64)
solver = Solver(model, small_data, print_every=10, num_epochs=20, batch_size=25,
                update_rule="sgd", optim_config={"learning_rate": learning_rate})
solver.train()
plt.plot(solver.loss_history, "o")
plt.title("Training loss history")
plt.xlabel("Iteration")
plt.ylabel("Training loss")
plt.show()

# %% grade_id="overfit-check" kind="test" points=5
nn_utils.check_overfit(solver, num_train=50)

# %% [markdown]
# ## Submitting
#
# 1. *Kernel -> Restart & Run All*. In a terminal in this folder,
#    `python -m nn_utils.self_check FC_nets.ipynb` does the same in a fresh kernel and lists
#    every visible check (it exits with an error status if one fails).
# 2. Make a PDF, offline, with the equations rendered and the plots in it:
#    `python -m nn_utils.export_pdf FC_nets.ipynb --name "Your Name"`.
# 3. Hand in the PDF and the `.ipynb` file, as your course asks.
