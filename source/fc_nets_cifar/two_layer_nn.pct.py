# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A two-layer network on CIFAR-10
#
# This notebook builds a classifier with one hidden layer in a single class,
# `TwoLayerNet`: its forward pass, its loss, the gradients of that loss, training by
# stochastic gradient descent, and prediction. You first check each part on a tiny toy
# problem whose correct numbers are known, then train the network on CIFAR-10 and tune
# it.
#
# **Points: 47.** Scores 5, loss 7, gradients 10, training 5, debugging questions 5,
# hyperparameter search 10 (partial credit, see below), weights question 3, test
# accuracy 2.
#
# **How you are graded.** After each part, a cell calls a checker from `nn_utils`. It
# prints `All checks passed successfully!` or stops with a message naming the method, the
# array and the likely mistake. Hidden tests at grading time repeat the checks on other
# sizes and seeds. Written answers are graded by a person.
#
# **Rules.** numpy only; no Python loop over the examples of a batch. Do not edit the
# locked cells. Before you submit: *Kernel -> Restart & Run All*.

# %% grade_id="setup" kind="readonly"
import numpy as np
import matplotlib.pyplot as plt

import nn_utils
from nn_utils import eval_numerical_gradient, rel_error

plt.rcParams["figure.figsize"] = (10.0, 6.0)
nn_utils.watch_figures()  # lets a check below see your plots

# %% [markdown]
# ## The network
#
# With $D$ inputs, $H$ hidden units and $C$ classes, the parameters are
# $W_1 \in \mathbb{R}^{H \times D}$, $b_1 \in \mathbb{R}^{H}$,
# $W_2 \in \mathbb{R}^{C \times H}$ and $b_2 \in \mathbb{R}^{C}$, kept in the dictionary
# `self.params`. For a batch $X$ of shape $(N, D)$, one example per row:
#
# $$h = \max(0,\; X W_1^T + b_1), \qquad s = h W_2^T + b_2 ,$$
#
# and $s$, of shape $(N, C)$, holds the class scores. There is no ReLU after the second
# layer. The loss is the softmax cross-entropy averaged over the batch plus an L2 penalty
# on the weights (not the biases):
#
# $$L = \frac{1}{N} \sum_{i=1}^{N} -\log \frac{e^{s_{i, y_i}}}{\sum_{c} e^{s_{i,c}}}
#   \;+\; \frac{\lambda}{2} \left( \lVert W_1 \rVert_F^2 + \lVert W_2 \rVert_F^2 \right).$$
#
# Write the whole class in the cell below:
#
# * `loss(X, y=None, reg=0.0)`: with `y=None` return the scores; otherwise return
#   `(loss, grads)` where `grads` has the keys of `self.params`. Vectorise: no loop over
#   examples. Keep the exponentials finite: scores in the hundreds happen once the
#   learning rate is too high.
# * `train(...)`: stochastic gradient descent on random minibatches (sampled with
#   replacement), one update of every parameter per iteration, the learning rate
#   multiplied by `learning_rate_decay` once per epoch; it records the loss of every
#   iteration and the accuracies once per epoch.
# * `predict(X)`: the class with the highest score for each row.
#
# Keep `__init__` as given: the toy checks depend on the order in which it draws random
# numbers.

# %% grade_id="net-impl" kind="solution"
class TwoLayerNet(object):
    """input -> fully connected -> ReLU -> fully connected -> softmax, with L2 on the weights."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        """Small random weights, zero biases.

        Inputs:
        - input_size: D; hidden_size: H; output_size: the number of classes C.
        - std: the standard deviation of the initial weights.
        """
        self.params = {}
        self.params["W1"] = std * np.random.randn(hidden_size, input_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = std * np.random.randn(output_size, hidden_size)
        self.params["b2"] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        """Scores, or the loss and its gradients.

        Inputs:
        - X: (N, D) inputs; y: (N,) integer labels in 0..C-1, or None; reg: lambda.

        Returns:
        - y is None: scores of shape (N, C).
        - otherwise: (loss, grads), grads[k] of the shape of self.params[k].
        """
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N, D = X.shape

        scores = None
        ### BEGIN SOLUTION
        hidden = np.maximum(0, X @ W1.T + b1)
        scores = hidden @ W2.T + b2
        ### END SOLUTION
        if y is None:
            return scores

        loss = None
        ### BEGIN SOLUTION
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[np.arange(N), y].mean() + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        ### END SOLUTION

        grads = {}
        ### BEGIN SOLUTION
        d_scores = np.exp(log_probs)
        d_scores[np.arange(N), y] -= 1
        d_scores /= N
        grads["W2"] = d_scores.T @ hidden + reg * W2
        grads["b2"] = d_scores.sum(axis=0)
        d_hidden = (d_scores @ W2) * (hidden > 0)
        grads["W1"] = d_hidden.T @ X + reg * W1
        grads["b1"] = d_hidden.sum(axis=0)
        ### END SOLUTION
        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=1e-5, num_iters=100, batch_size=200, verbose=False):
        """Minibatch stochastic gradient descent.

        Inputs:
        - X (N, D), y (N,): training data; X_val, y_val: validation data.
        - learning_rate, learning_rate_decay (applied once per epoch), reg.
        - num_iters: the number of updates; batch_size: examples per update.

        Returns a dict with loss_history (one entry per iteration), train_acc_history and
        val_acc_history (one entry per epoch).
        """
        num_train = X.shape[0]
        per_epoch = max(num_train / batch_size, 1)  # iterations in one epoch
        loss_history, train_acc_history, val_acc_history = [], [], []

        for it in range(num_iters):
            X_batch, y_batch = None, None
            ### BEGIN SOLUTION
            batch = np.random.choice(num_train, batch_size)
            X_batch, y_batch = X[batch], y[batch]
            ### END SOLUTION

            loss, grads = self.loss(X_batch, y_batch, reg)
            loss_history.append(loss)

            ### BEGIN SOLUTION
            for name in self.params:
                self.params[name] -= learning_rate * grads[name]
            ### END SOLUTION

            if verbose and not it % 100:
                print(f"iteration {it} / {num_iters}: loss {loss}")

            if it % per_epoch == 0:  # the start of an epoch
                train_acc_history.append((self.predict(X_batch) == y_batch).mean())
                val_acc_history.append((self.predict(X_val) == y_val).mean())
                learning_rate = learning_rate * learning_rate_decay

        return {"loss_history": loss_history, "train_acc_history": train_acc_history,
                "val_acc_history": val_acc_history}

    def predict(self, X):
        """The predicted class of each row of X (N, D), as an array of shape (N,)."""
        y_pred = None
        ### BEGIN SOLUTION
        y_pred = np.argmax(self.loss(X), axis=1)
        ### END SOLUTION
        return y_pred


# %% [markdown]
# ## A toy problem
#
# Four inputs, ten hidden units, three classes and five examples, from fixed random
# seeds, so that every correct implementation produces the same numbers.

# %% grade_id="toy" kind="readonly"
input_size, hidden_size, num_classes, num_inputs = 4, 10, 3, 5


def init_toy_model():
    np.random.seed(0)
    return TwoLayerNet(input_size, hidden_size, num_classes, std=0.1)


def init_toy_data():
    np.random.seed(1)
    X = np.random.randn(num_inputs, input_size) * 10
    y = np.asarray([0, 1, 2, 2, 1])
    return X, y


net = init_toy_model()
X, y = init_toy_data()

# %% [markdown]
# ### Scores [5 points]
#
# The difference from the known scores should be below $10^{-7}$.

# %% grade_id="scores-compare" kind="readonly"
scores = net.loss(X)
correct_scores = np.asarray([
    [-1.07260209, 0.05083871, -0.87253915],
    [-2.02778743, -0.10832494, -1.52641362],
    [-0.74225908, 0.15259725, -0.39578548],
    [-0.38172726, 0.10835902, -0.17328274],
    [-0.64417314, -0.18886813, -0.41106892]])
print("Your scores:\n", scores)
print("Sum of absolute differences from the known scores:", np.sum(np.abs(scores - correct_scores)))

# %% grade_id="scores-check" kind="test" points=3
nn_utils.check_two_layer_net_scores(TwoLayerNet)

# %% grade_id="scores-hidden" kind="test" points=2
# Hidden tests for the scores run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_two_layer_net_scores(TwoLayerNet, seed=101)
### END HIDDEN TESTS

# %% [markdown]
# ### Loss [7 points]
#
# With $\lambda = 0.05$ the toy loss is 1.071696123862817; the difference should be
# below $10^{-12}$. Two of the points are for numerical stability: the loss must stay
# finite when the scores are in the hundreds.

# %% grade_id="loss-compare" kind="readonly"
loss, _ = net.loss(X, y, reg=0.05)
correct_loss = 1.071696123862817
print("Loss:", loss)
print("Difference from the known loss:", np.sum(np.abs(loss - correct_loss)))

# %% grade_id="loss-check" kind="test" points=3
nn_utils.check_two_layer_net_loss(TwoLayerNet)

# %% grade_id="loss-hidden" kind="test" points=2
# Hidden tests for the loss run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_two_layer_net_loss(TwoLayerNet, seed=102)
### END HIDDEN TESTS

# %% grade_id="loss-stability" kind="test" points=2
nn_utils.check_two_layer_net_stability(TwoLayerNet)

# %% [markdown]
# ### Gradients [10 points]
#
# Compare your gradients with numerical ones: each relative error should be below
# about $10^{-8}$.

# %% grade_id="grads-compare" kind="readonly"
_, grads = net.loss(X, y, reg=0.05)
for name in grads:
    numerical = eval_numerical_gradient(lambda _: net.loss(X, y, reg=0.05)[0], net.params[name],
                                        verbose=False)
    print(f"{name} max relative error: {rel_error(numerical, grads[name]):.3e}")

# %% grade_id="grads-check" kind="test" points=6
nn_utils.check_two_layer_net_gradients(TwoLayerNet)

# %% grade_id="grads-hidden" kind="test" points=4
# Hidden tests for the gradients run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_two_layer_net_gradients(TwoLayerNet, seed=103)
### END HIDDEN TESTS

# %% [markdown]
# ### Training [5 points]
#
# Train the toy network: the final training loss should be close to 0.0145.

# %% grade_id="train-toy" kind="readonly"
net = init_toy_model()
stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=False)
print("Final training loss:", stats["loss_history"][-1])
plt.plot(stats["loss_history"])
plt.xlabel("iteration")
plt.ylabel("training loss")
plt.title("Toy training loss")
plt.show()

# %% grade_id="train-check" kind="test" points=5
nn_utils.check_two_layer_net_training(TwoLayerNet)

# %% [markdown]
# ## CIFAR-10
#
# 10000 training, 1000 validation and 1000 test images, each flattened to
# $32 \cdot 32 \cdot 3 = 3072$ values after subtracting the mean training image.
# `nn_utils.get_CIFAR10_data()` reads the real data set when it is on your machine (see the
# kit's README) and otherwise falls back to a stand-in, saying so loudly. The accuracy
# the search below needs depends on which one you have; both levels are given there.
#
# **Why 10000 and not all 49000.** The notebook must run, and be graded, in 768 MB of
# memory (a Gradescope autograder's default). The 10000 images in float32 take 123 MB;
# all 49000 in float64 would take 1.2 GB. The networks compute in float64 all the same
# (float32 images times float64 weights give float64), and every accuracy below is set
# for these 10000 images, at home and at grading alike.

# %% grade_id="cifar-data" kind="readonly"
def cifar_as_rows(num_training=10000, num_validation=1000, num_test=1000):
    """CIFAR-10 as float32 rows: X (N, 3072) with the mean training image subtracted, y (N,)."""
    data = nn_utils.get_CIFAR10_data(num_training, num_validation, num_test,
                                     dtype=np.float32, channels_first=False)
    rows = lambda images: images.reshape(len(images), -1)
    return (rows(data["X_train"]), data["y_train"], rows(data["X_val"]), data["y_val"],
            rows(data["X_test"]), data["y_test"])


X_train, y_train, X_val, y_val, X_test, y_test = cifar_as_rows()
DATA = nn_utils.source_of("cifar10")
print(DATA)
for name, array in [("X_train", X_train), ("y_train", y_train), ("X_val", X_val),
                    ("y_val", y_val), ("X_test", X_test), ("y_test", y_test)]:
    print(f"{name} shape: {array.shape}")

# %% [markdown]
# ### A first run
#
# The settings below are deliberately poor: expect about 23% validation accuracy on the
# stand-in, and well under 30% on the real CIFAR-10.

# %% grade_id="cifar-first" kind="readonly"
input_size, hidden_size, num_classes = 32 * 32 * 3, 50, 10
np.random.seed(0)
net = TwoLayerNet(input_size, hidden_size, num_classes, std=1e-4)
stats = net.train(X_train, y_train, X_val, y_val, num_iters=1000, batch_size=200,
                  learning_rate=1e-4, learning_rate_decay=0.95, reg=0.25, verbose=True)
val_acc = np.mean(net.predict(X_val) == y_val)
print("Validation accuracy:", val_acc)
subopt_net = net  # kept for the comparison of weights below

# %% [markdown]
# ### Debugging [5 points]
#
# The accuracy is poor. Use the cell below to find out why: plot what `stats` recorded
# (the loss per iteration, the training and validation accuracy per epoch) and anything
# else that helps. Then answer: **(1)** what keeps the accuracy low, with the evidence
# from your plots; **(2)** what you would change to fix it.
#
# *Graded by a person:* evidence from at least one plot (2), a diagnosis that matches it
# (2), a fix that follows from the diagnosis (1).

# %% grade_id="debug-code" kind="solution"
### BEGIN SOLUTION
figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
left.plot(stats["loss_history"])
left.set_xlabel("iteration")
left.set_ylabel("training loss")
right.plot(stats["train_acc_history"], label="training (minibatch)")
right.plot(stats["val_acc_history"], label="validation")
right.set_xlabel("epoch")
right.set_ylabel("accuracy")
right.legend()
plt.show()
### END SOLUTION

# %% [markdown] grade_id="debug-answer" kind="answer" points=5
# **Model answer (for graders).** (1) The loss hardly moves for the first few hundred
# iterations and is still falling steadily at the end, and the training and validation
# accuracies are equal and still rising: the network underfits because the learning rate
# is far too small for 1000 iterations (the weights start at $10^{-4}$, so the early
# gradients are tiny too), and it shrinks further: with 10000 images an epoch is 50
# iterations, so the decay of 0.95 per epoch leaves about a third of it by the end. There is no gap between training and validation accuracy, so
# regularisation is not the problem. (2) Raise the learning rate (by about ten times),
# train for more iterations, and then tune the regularisation strength on the validation
# set.
#
# **Rubric.** Evidence from a plot (2): the flat start or the still-falling loss, or the
# rising accuracies with no gap. Diagnosis (2): too small a learning rate / too few
# iterations (underfitting). Fix (1): a larger learning rate and more iterations.

# %% [markdown]
# ### Tuning the hyperparameters [10 points]
#
# Search the learning rate, the regularisation strength, the number of iterations (and
# the decay if you like) on the validation set, keeping `hidden_size = 50`, and store the
# best network in `best_net`.
#
# **Credit.** With $X$ the validation accuracy of `best_net` in percent, you earn
# $\min\!\big(\lfloor X - \ell \rfloor / (u - \ell),\ 1\big)$ of the 10 points (never below 0):
#
# | data | $\ell$ (no credit, about the first run) | $u$ (full credit) |
# |---|---|---|
# | real CIFAR-10 | 25% | 42% |
# | the offline stand-in | 23% | 66% |
#
# **Time budget.** The search runs inside `nn_utils.training_budget()`, which stops it
# after **100 seconds**, here and when your notebook is graded alike; whatever `best_net`
# holds at that moment is graded. Store each new best network as soon as you find it,
# and try a few well-chosen settings rather than a large grid: one run of 2000
# iterations takes about 6 seconds on one core.

# %% grade_id="search-code" kind="solution"
best_net = None  # store the best network here

with nn_utils.training_budget():
    ### BEGIN SOLUTION
    best_val = -1.0
    for learning_rate, reg in [(1e-3, 0.1), (2e-3, 0.1)]:
        np.random.seed(1)
        candidate = TwoLayerNet(input_size, hidden_size, num_classes)
        candidate.train(X_train, y_train, X_val, y_val, num_iters=2000, batch_size=200,
                        learning_rate=learning_rate, learning_rate_decay=0.95, reg=reg)
        accuracy = (candidate.predict(X_val) == y_val).mean()
        print(f"learning rate {learning_rate:g}, reg {reg:g}: validation accuracy {accuracy:.3f}")
        if accuracy > best_val:
            best_val, best_net = accuracy, candidate
    ### END SOLUTION

print("Validation accuracy of best_net:", (best_net.predict(X_val) == y_val).mean())

# %% grade_id="search-credit" kind="test" points=10
nn_utils.hyperparameter_search_points(best_net, X_val, y_val, max_points=10, data_kind=DATA.kind)

# %% [markdown]
# ### The learned weights [3 points]
#
# Each row of $W_1$ is a $32 \times 32 \times 3$ image: the pattern a hidden unit
# responds to.

# %% grade_id="weights-show" kind="readonly"
def show_weights(net):
    W1 = net.params["W1"].reshape(-1, 32, 32, 3)
    # Small: a grid of noisy templates compresses badly, and each figure is kept in the
    # notebook (and in the grader's 1 MB of output per cell).
    plt.figure(figsize=(4, 4))
    plt.imshow(nn_utils.visualize_grid(W1, padding=3).astype("uint8"))
    plt.gca().axis("off")
    plt.show()


show_weights(subopt_net)
show_weights(best_net)

# %% [markdown]
# How do the weights of the first network differ from those of `best_net`, and why?
#
# *Graded by a person:* a visible difference named (1), explained by the training (2).

# %% [markdown] grade_id="weights-answer" kind="answer" points=3
# **Model answer (for graders).** The first network's templates are nearly all alike: a
# blurry, low-contrast blob that mostly mirrors the mean colour, because with so small a
# learning rate the weights barely moved from their random start. The tuned network's
# templates differ from unit to unit and show structure (colour contrasts, edges, rough
# object or background shapes), because training went far enough for each unit to pick
# up a feature that separates classes.
#
# **Rubric.** Difference (1): uniform/noisy versus varied/structured. Explanation (2):
# the first network is undertrained (tiny learning rate), the second learned features.

# %% [markdown]
# ### Test accuracy [2 points]
#
# Evaluate `best_net` once on the test set and store the accuracy in `test_acc`.

# %% grade_id="test-code" kind="solution"
test_acc = None
### BEGIN SOLUTION
test_acc = (best_net.predict(X_test) == y_test).mean()
### END SOLUTION
print("Test accuracy:", test_acc)

# %% grade_id="test-check" kind="test" points=2
nn_utils.check_test_accuracy(test_acc, best_net, X_test, y_test)

# %% [markdown]
# ## Submitting
#
# 1. *Kernel -> Restart & Run All*. In a terminal in this folder,
#    `python -m nn_utils.self_check two_layer_nn.ipynb` does the same in a fresh kernel and lists
#    every visible check (it exits with an error status if one fails).
# 2. Make a PDF, offline, with the equations rendered and the plots in it:
#    `python -m nn_utils.export_pdf two_layer_nn.ipynb --name "Your Name"`.
# 3. Hand in the PDF and the `.ipynb` file, as your course asks.
