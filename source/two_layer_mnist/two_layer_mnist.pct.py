# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A two-layer network on MNIST, from scratch
#
# You will write every piece of a two-layer neural network in numpy (initialisation,
# activations, losses, forward and backward passes, gradient descent), train it to tell
# two digits apart, and then extend it to all ten digits.
#
# **Points: 80.** Question 1, binary classification: 45. Question 2, ten classes: 35.
#
# **How you are graded.** A cell after each function calls a checker from `nn_utils`,
# which prints `All checks passed successfully!` or stops with a message naming the
# function, the array and the likely mistake. Hidden tests at grading time repeat the
# checks with other sizes and seeds, and measure the accuracy of the network you train.
# The figures are graded by a person.
#
# **Rules.** Implement the functions yourself with numpy; do not call an existing
# implementation of a network, a loss or an activation. Do not edit the locked cells.
# Before you submit: *Kernel -> Restart & Run All*.

# %% grade_id="setup" kind="readonly"
import numpy as np
import matplotlib.pyplot as plt

import nn_utils

nn_utils.watch_figures()  # lets the figure checks below see your plots

# %% [markdown]
# ## The MNIST data
#
# MNIST holds 70000 grey-scale images of handwritten digits, 28x28 pixels each, with
# values 0 to 255: 60000 for training and 10000 for testing. `nn_utils.load_mnist()`
# returns them in the same layout as `keras.datasets.mnist.load_data()`. Without the real
# files and without internet access it falls back to a stand-in and says so loudly; the
# accuracy the hidden tests require is set separately for each.

# %% grade_id="data" kind="readonly"
(x_train, y_train), (x_test, y_test) = nn_utils.load_mnist()
DATA = nn_utils.source_of("mnist")
print(DATA)
print("Training data shape:", x_train.shape)
print("Test data shape:", x_test.shape)
nn_utils.show_images(x_train[:10], titles=y_train[:10], columns=10)

# %% [markdown]
# Each image becomes a vector of $28 \times 28 = 784$ pixel values.

# %% grade_id="flatten" kind="readonly"
x_train = x_train.reshape(x_train.shape[0], -1)
x_test = x_test.reshape(x_test.shape[0], -1)
print("Training data shape after reshaping:", x_train.shape)
print("Test data shape after reshaping:", x_test.shape)

# %% [markdown]
# ## Question 1: binary classification [45 points]
#
# We start with two digits, 5 and 8, labelled 0 and 1, and take up to 1000 images of each
# from the training set (and every test image of either digit). Write
# `extract_binary_classification_dataset`: it keeps the images of the two classes, at
# most `num_samples` of each, and relabels them 0 (for `label1`) and 1 (for `label2`).
# It returns one image per row; the cell after it transposes the data so that each
# **column** is a sample, as in the equations below.

# %% grade_id="q1data-impl" kind="solution"
def extract_binary_classification_dataset(x, y, label1, label2, num_samples):
    """Two-class subset of a data set.

    Args:
        x: images, shape (N, D)
        y: labels, shape (N,)
        label1, label2: the two classes to keep
        num_samples: the most images to keep of each class

    Returns:
        x_: the kept images, shape (M, D), first those of label1 then those of label2
        y_: their new labels, shape (M,): 0 for label1, 1 for label2
    """
    ### BEGIN SOLUTION
    first = x[y == label1][:num_samples]
    second = x[y == label2][:num_samples]
    x_ = np.concatenate([first, second], axis=0)
    y_ = np.concatenate([np.zeros(len(first)), np.ones(len(second))])
    ### END SOLUTION
    return x_, y_


# %% grade_id="q1data-check" kind="test" points=0
nn_utils.check_extract_binary_classification_dataset(extract_binary_classification_dataset)

# %% grade_id="q1data-split" kind="readonly"
label1, label2, num_samples = 5, 8, 1000

train_x, train_y = extract_binary_classification_dataset(x_train, y_train, label1, label2, num_samples)
test_x, test_y = extract_binary_classification_dataset(x_test, y_test, label1, label2, num_samples)
train_x, test_x = train_x.T, test_x.T
print("Training data shape:", train_x.shape)
print("Test data shape:", test_x.shape)

# %% [markdown]
# ### The network
#
# The input layer has 784 units, the hidden layer 256 and the output layer 1, each with
# the sigmoid activation $\varphi$. For a batch $X$ of shape $(784, N)$:
#
# $$
# \begin{aligned}
# Z^{(1)} &= W^{(1)} X + b^{(1)}, & Y^{(1)} &= \varphi(Z^{(1)}), \\
# Z^{(2)} &= W^{(2)} Y^{(1)} + b^{(2)}, & Y^{(2)} &= \varphi(Z^{(2)}),
# \end{aligned}
# $$
#
# with $W^{(1)} \in \mathbb{R}^{256 \times 784}$, $b^{(1)} \in \mathbb{R}^{256 \times 1}$,
# $W^{(2)} \in \mathbb{R}^{1 \times 256}$, $b^{(2)} \in \mathbb{R}^{1 \times 1}$. The
# biases are added to every column by broadcasting.
#
# ### Initialisation [5 points]
#
# `TwoLayerNetwork(layer_dims)` returns `[W1, b1, W2, b2]`: weights drawn from a normal
# distribution with mean 0 and standard deviation 0.01, biases zero. Take every size
# from `layer_dims`, and fix the seed with `np.random.seed(3)` inside the function so
# that every run starts from the same weights.

# %% grade_id="q1init-impl" kind="solution"
def TwoLayerNetwork(layer_dims=[784, 256, 1]):
    """Initial parameters [W1, b1, W2, b2] for layer sizes [D, H, K]."""
    np.random.seed(3)
    ### BEGIN SOLUTION
    n_in, n_hidden, n_out = layer_dims
    W1 = np.random.normal(0.0, 0.01, size=(n_hidden, n_in))
    b1 = np.zeros((n_hidden, 1))
    W2 = np.random.normal(0.0, 0.01, size=(n_out, n_hidden))
    b2 = np.zeros((n_out, 1))
    ### END SOLUTION
    return [W1, b1, W2, b2]


# %% grade_id="q1init-check" kind="test" points=3
nn_utils.check_two_layer_network(TwoLayerNetwork, [784, 256, 1])

# %% grade_id="q1init-hidden" kind="test" points=2
# Hidden tests for the initialisation run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_two_layer_network(TwoLayerNetwork, [300, 40, 2])
nn_utils.check_two_layer_network(TwoLayerNetwork, [12, 7, 1])
### END HIDDEN TESTS

# %% [markdown]
# ### Sigmoid and the cross-entropy loss [5 points]
#
# $\varphi(z) = \dfrac{1}{1 + e^{-z}}$, applied entrywise; its derivative is
# $\varphi'(z) = \varphi(z)\,(1 - \varphi(z))$.
#
# For true labels $y_i \in \{0, 1\}$ and outputs $y^{(2)}_i$, the binary cross-entropy of
# a batch is the mean of
# $\mathrm{Loss}_i = -y_i \log y^{(2)}_i - (1 - y_i) \log (1 - y^{(2)}_i)$.
# `Y_true` has shape $(N,)$ and `Y2` shape $(1, N)$. Return a single number.
#
# Its gradient with respect to the output's input is remarkably simple:
# $\delta^{(2)} = \partial \mathrm{Loss}_i / \partial z^{(2)}_i = y^{(2)}_i - y_i$.

# %% grade_id="q1loss-sigmoid-impl" kind="solution"
def sigmoid(Z):
    """Entrywise logistic function of an array Z."""
    ### BEGIN SOLUTION
    return 1.0 / (1.0 + np.exp(-Z))
    ### END SOLUTION


# %% grade_id="q1loss-impl" kind="solution"
def CrossEntropyLoss(Y_true, Y2):
    """Mean binary cross-entropy of outputs Y2 (1, N) against labels Y_true (N,)."""
    ### BEGIN SOLUTION
    losses = -Y_true * np.log(Y2) - (1 - Y_true) * np.log(1 - Y2)
    return float(np.mean(losses))
    ### END SOLUTION


# %% grade_id="q1loss-check" kind="test" points=3
nn_utils.check_sigmoid(sigmoid)
nn_utils.check_cross_entropy_loss(CrossEntropyLoss)

# %% grade_id="q1loss-hidden" kind="test" points=2
# Hidden tests for sigmoid and the loss run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_sigmoid(sigmoid, seed=10)
nn_utils.check_cross_entropy_loss(CrossEntropyLoss, seed=11, n=1)
nn_utils.check_cross_entropy_loss(CrossEntropyLoss, seed=12, n=40)
### END HIDDEN TESTS

# %% [markdown]
# ### Forward propagation [5 points]
#
# `forward(X, params)` computes the equations above for a batch `X` of shape $(784, N)$
# and returns `Y2` together with the intermediate results `[X, Z1, Y1, Z2]` that the
# backward pass needs.

# %% grade_id="q1forward-impl" kind="solution"
def forward(X, params):
    """Forward pass: returns (Y2, [X, Z1, Y1, Z2]) with Y2 of shape (1, N)."""
    W1, b1, W2, b2 = params
    ### BEGIN SOLUTION
    Z1 = W1 @ X + b1
    Y1 = sigmoid(Z1)
    Z2 = W2 @ Y1 + b2
    Y2 = sigmoid(Z2)
    ### END SOLUTION
    return Y2, [X, Z1, Y1, Z2]


# %% grade_id="q1forward-check" kind="test" points=3
nn_utils.check_two_layer_forward(forward, output="sigmoid")

# %% grade_id="q1forward-hidden" kind="test" points=2
# Hidden tests for forward run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_two_layer_forward(forward, output="sigmoid", seed=21, dims=(9, 3, 1), n=1)
nn_utils.check_two_layer_forward(forward, output="sigmoid", seed=22, dims=(4, 8, 1), n=30)
### END HIDDEN TESTS

# %% [markdown]
# ### Backpropagation [10 points]
#
# For one sample, with $\delta^{(l)} = \partial \mathrm{Loss}_i / \partial z^{(l)}$,
#
# $$\nabla_{W^{(l)}} \mathrm{Loss}_i = \delta^{(l)} \, {y^{(l-1)}}^{T}, \qquad
#   \nabla_{b^{(l)}} \mathrm{Loss}_i = \delta^{(l)}, \qquad
#   \delta^{(1)} = {W^{(2)}}^{T} \delta^{(2)} \odot \varphi'(z^{(1)}),$$
#
# where $y^{(0)} = x$ and $\delta^{(2)} = y^{(2)} - y$. The gradient of the batch loss is
# the **mean** of these over the $N$ samples. With one sample per column, that mean is a
# single matrix product: $\frac{1}{N} \delta^{(2)} {Y^{(1)}}^T$ adds up the $N$ rank-one
# matrices $\delta^{(2)}_i {y^{(1)}_i}^T$ for you.
#
# The check compares your gradients with the numerical gradient of *your own* loss
# through *your own* forward, so check those first.

# %% grade_id="q1backward-impl" kind="solution"
def backward(Y_true, Y2, intermediate, params):
    """Gradients [grad_W1, grad_b1, grad_W2, grad_b2] of the mean loss.

    Args:
        Y_true: labels, shape (N,)
        Y2: network outputs, shape (1, N)
        intermediate: [X, Z1, Y1, Z2] from forward
        params: [W1, b1, W2, b2]
    """
    X, Z1, Y1, Z2 = intermediate
    W1, b1, W2, b2 = params
    ### BEGIN SOLUTION
    n = X.shape[1]
    delta2 = Y2 - Y_true
    delta1 = (W2.T @ delta2) * Y1 * (1 - Y1)
    grad_W2 = delta2 @ Y1.T / n
    grad_b2 = delta2.sum(axis=1, keepdims=True) / n
    grad_W1 = delta1 @ X.T / n
    grad_b1 = delta1.sum(axis=1, keepdims=True) / n
    ### END SOLUTION
    return [grad_W1, grad_b1, grad_W2, grad_b2]


# %% grade_id="q1backward-check" kind="test" points=5
nn_utils.check_two_layer_backward(backward, forward, CrossEntropyLoss, output="sigmoid")

# %% grade_id="q1backward-hidden" kind="test" points=5
# Hidden tests for backward run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_two_layer_backward(backward, forward, CrossEntropyLoss, output="sigmoid",
                                  seed=31, dims=(3, 9, 1), n=25)
nn_utils.check_two_layer_backward(backward, forward, CrossEntropyLoss, output="sigmoid",
                                  seed=32, dims=(20, 4, 1), n=2)
### END HIDDEN TESTS

# %% [markdown]
# ### Gradient descent [5 points]
#
# Update every parameter with the same learning rate $\alpha$:
# $\theta \leftarrow \theta - \alpha \nabla_\theta \mathrm{Loss}$. Return the list of
# updated parameters.

# %% grade_id="q1gd-impl" kind="solution"
def GD(params, grads, learning_rate):
    """One gradient-descent step on the list of parameters."""
    ### BEGIN SOLUTION
    return [p - learning_rate * g for p, g in zip(params, grads)]
    ### END SOLUTION


# %% grade_id="q1gd-check" kind="test" points=3
nn_utils.check_gd(GD)

# %% grade_id="q1gd-hidden" kind="test" points=2
# Hidden tests for GD run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_gd(GD, seed=41)
### END HIDDEN TESTS

# %% [markdown]
# ### Training [5 points]
#
# Train for 100 epochs with learning rate 0.01 on the raw pixel values. In each epoch:
# forward pass, loss (append it to `loss_history`), backward pass, update. Print the loss
# every 10 epochs, then plot `loss_history` against the epoch.

# %% grade_id="q1train-setup" kind="readonly"
layer_dims = [train_x.shape[0], 256, 1]
epochs = 100
lr = 0.01

params = TwoLayerNetwork(layer_dims)

# %% grade_id="q1train-impl" kind="solution"
loss_history = []
### BEGIN SOLUTION
for epoch in range(1, epochs + 1):
    Y2, intermediate = forward(train_x, params)
    loss = CrossEntropyLoss(train_y, Y2)
    loss_history.append(loss)
    if epoch == 1 or epoch % 10 == 0:
        print(f"Epoch: {epoch:<4} | Loss: {loss:.8f}")
    grads = backward(train_y, Y2, intermediate, params)
    params = GD(params, grads, lr)
### END SOLUTION

# %% grade_id="q1train-plot" kind="readonly"
plt.figure()
plt.plot(loss_history)
plt.xlabel("Epochs")
plt.ylabel("Training Loss")
plt.show()

# %% grade_id="q1train-hidden" kind="test" points=5
# Hidden tests for training run here when your notebook is graded: 100 recorded losses
# that go down to a level a correct network reaches on this data set, and a trained
# network that reaches the test accuracy in the table below.
### BEGIN HIDDEN TESTS
_max_final = {"real": 0.20, "standin": 0.17}[DATA.kind]
nn_utils.check_loss_history(loss_history, epochs=100, max_final_loss=_max_final)
print(f"final loss {loss_history[-1]:.4f} on {DATA.kind} MNIST (required <= {_max_final})")
_limit = {"real": 0.93, "standin": 0.93}[DATA.kind]
_predicted = (np.asarray(forward(test_x, params)[0]) >= 0.5).astype(int).ravel()
_accuracy = nn_utils.check_accuracy(_predicted, test_y, _limit, "binary test accuracy")
print(f"binary test accuracy {_accuracy:.4f} on {DATA.kind} MNIST (required {_limit})")
### END HIDDEN TESTS

# %% [markdown]
# The hidden test of the training above also measures, with your `forward`, the test
# accuracy the trained network reaches: those points reward training that works.
#
# | data | required test accuracy |
# |---|---|
# | real MNIST | 0.93 |
# | the offline stand-in | 0.93 |
#
# ### Evaluation [5 points]
#
# The output is $p(y = 1 \mid x)$. Predict 1 where it is at least 0.5 and 0 elsewhere,
# and compute the accuracy (the fraction of images classified correctly) on the training
# and on the test set. **Store the two fractions in `train_accuracy` and `test_accuracy`**:
# the cell prints them, and the hidden test grades your evaluation by comparing them with
# what your network's predictions really score. These points are for evaluating
# correctly, whatever accuracy the network reached.

# %% grade_id="q1eval-impl" kind="solution"
### BEGIN SOLUTION
train_pred = (forward(train_x, params)[0] >= 0.5).astype(float).ravel()
test_pred = (forward(test_x, params)[0] >= 0.5).astype(float).ravel()
train_accuracy = np.mean(train_pred == train_y)
test_accuracy = np.mean(test_pred == test_y)
### END SOLUTION
print("Training accuracy:", train_accuracy)
print("Test accuracy:", test_accuracy)

# %% grade_id="q1eval-hidden" kind="test" points=5
# Hidden tests for the evaluation run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_evaluation(train_accuracy, test_accuracy, forward, params,
                          (train_x, train_y), (test_x, test_y), rule="threshold")
### END HIDDEN TESTS

# %% [markdown]
# ### Correct and wrong predictions [5 points]
#
# For the training set and for the test set, show 5 images the network classifies
# correctly and 5 it gets wrong, each titled with its true digit and the predicted one
# (20 images in all). `nn_utils.show_images(images, titles)` draws a grid.
#
# *Graded by a person (4 points):* the four groups are there and correct (2), every image
# carries its true and predicted digit (1), one sentence on what the wrong ones have in
# common (1). One more point is autograded: the cell must draw the 20 images.

# %% grade_id="q1vis-count" kind="readonly"
nn_utils.watch_figures()  # count only the figures of the next cell

# %% grade_id="q1vis-answer" kind="answer" points=4
### BEGIN SOLUTION
digit = np.array([label1, label2])
for name, x_set, y_set in [("training", train_x, train_y), ("test", test_x, test_y)]:
    predicted = (forward(x_set, params)[0] >= 0.5).astype(int).ravel()
    truth = y_set.astype(int)
    for verdict, chosen in [("right", predicted == truth), ("wrong", predicted != truth)]:
        picks = np.flatnonzero(chosen)[:5]
        titles = [f"true {digit[truth[i]]}, said {digit[predicted[i]]}" for i in picks]
        print(f"{name} set, classified {verdict}:")
        nn_utils.show_images(x_set.T[picks], titles)
# Rubric: 2 points when all four groups show the right kind of example; 1 point for titles
# with both digits; 1 point for a sensible remark (slanted or thick strokes, a 5 whose
# loop nearly closes, an 8 with a broken loop).
### END SOLUTION

# %% grade_id="q1vis-check" kind="test" points=1
nn_utils.check_figure_produced(min_images=20, what="the visualisation cell above")

# %% [markdown]
# ## Question 2: ten classes [35 points]
#
# The output layer now has $K = 10$ units and a softmax, which turns a column of scores
# $z \in \mathbb{R}^K$ into probabilities:
#
# $$p_c = \frac{e^{z_c}}{\sum_{k=1}^{K} e^{z_k}}.$$
#
# ### Softmax [5 points]
#
# `softmax(Z)` applies this to every **column** of a $(K, N)$ array. Each column must sum
# to 1; a sum over the whole array, or over rows, is the usual slip.

# %% grade_id="q2softmax-impl" kind="solution"
def softmax(Z):
    """Column-wise softmax of a (K, N) array."""
    ### BEGIN SOLUTION
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
    ### END SOLUTION


# %% grade_id="q2softmax-check" kind="test" points=3
nn_utils.check_softmax(softmax)

# %% grade_id="q2softmax-hidden" kind="test" points=2
# Hidden tests for softmax run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_softmax(softmax, seed=51, shape=(10, 1))
nn_utils.check_softmax(softmax, seed=52, shape=(2, 33))
### END HIDDEN TESTS

# %% [markdown]
# ### Optional: a softmax that cannot overflow [0 points]
#
# `np.exp` overflows to `inf` above about 709, and `inf / inf` is `nan`. Multiplying the
# numerator and the denominator by the same constant $C = e^{-m}$ changes nothing, so
# $p_c = e^{z_c - m} / \sum_k e^{z_k - m}$ for any $m$. With $m = \max_k z_k$ every
# exponent is at most 0. Write `stable_softmax`; the check feeds it logits near 1000.

# %% grade_id="stable-impl" kind="solution"
def stable_softmax(Z):
    """Column-wise softmax of a (K, N) array that stays finite for large logits."""
    ### BEGIN SOLUTION
    shifted = Z - Z.max(axis=0, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=0, keepdims=True)
    ### END SOLUTION


# %% grade_id="stable-check" kind="test" points=0
nn_utils.check_stable_softmax(stable_softmax)

# %% [markdown]
# ### The multiclass cross-entropy loss [5 points]
#
# With true classes $y_i \in \{0, \dots, K-1\}$ (shape $(N,)$) and probabilities
# $P$ of shape $(K, N)$, the loss is the mean over samples of
# $\mathrm{Loss}_i = -\log P_{y_i, i}$. The gradient with respect to the scores is
# $\delta^{(2)} = p - \mathbf{1}_{y_i}$, with $\mathbf{1}_{y_i}$ the one-hot column of
# the true class.

# %% grade_id="q2loss-impl" kind="solution"
def MultiClassCrossEntropyLoss(Y_true, probs):
    """Mean cross-entropy of probs (K, N) against class numbers Y_true (N,)."""
    ### BEGIN SOLUTION
    classes = np.asarray(Y_true).astype(int)
    picked = probs[classes, np.arange(probs.shape[1])]
    return float(-np.mean(np.log(picked)))
    ### END SOLUTION


# %% grade_id="q2loss-check" kind="test" points=3
nn_utils.check_multiclass_cross_entropy_loss(MultiClassCrossEntropyLoss)

# %% grade_id="q2loss-hidden" kind="test" points=2
# Hidden tests for the loss run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_multiclass_cross_entropy_loss(MultiClassCrossEntropyLoss, seed=61, k=10, n=50)
nn_utils.check_multiclass_cross_entropy_loss(MultiClassCrossEntropyLoss, seed=62, k=2, n=1)
### END HIDDEN TESTS

# %% [markdown]
# ### Training data
#
# 1000 training images of each digit, and the whole test set.

# %% grade_id="q2data" kind="readonly"
num_samples = 1000
chosen = np.concatenate([np.flatnonzero(y_train == digit)[:num_samples] for digit in range(10)])
train_x, train_y = x_train[chosen].T, y_train[chosen].astype(np.float64)
test_x, test_y = x_test.T, y_test.astype(np.float64)
print("Training data shape:", train_x.shape)
print("Test data shape:", test_x.shape)

# %% [markdown]
# ### The network [5 points for the initialisation, 10 for forward and backward]
#
# The hidden layer keeps the sigmoid; the output layer has 10 units and the softmax.
# Initialise as before with `layer_dims = [784, 256, 10]`. If your `TwoLayerNetwork`
# from question 1 reads every size from `layer_dims`, there is nothing to write: the cell
# below may simply be left as it is, and the check after it uses your question 1 version.
# If yours has sizes written in, define `TwoLayerNetwork` again in that cell so that it
# takes them from `layer_dims`.

# %% grade_id="q2init-own" kind="open"
# Optional: define TwoLayerNetwork(layer_dims) again here only if your version from
# question 1 does not read every size from layer_dims.


# %% grade_id="q2init-check" kind="test" points=5
nn_utils.check_two_layer_network(TwoLayerNetwork, [784, 256, 10])

# %% [markdown]
# `forward` returns the probabilities `probs` of shape $(10, N)$ and the same intermediate
# results as before. In `backward`, $\delta^{(2)} = P - \text{onehot}(Y)$ with the one-hot
# matrix of shape $(10, N)$; the rest is as in question 1.

# %% grade_id="q2forward-impl" kind="solution"
def forward(X, params):
    """Forward pass: returns (probs, [X, Z1, Y1, Z2]) with probs of shape (K, N)."""
    W1, b1, W2, b2 = params
    ### BEGIN SOLUTION
    Z1 = W1 @ X + b1
    Y1 = sigmoid(Z1)
    Z2 = W2 @ Y1 + b2
    probs = softmax(Z2)
    ### END SOLUTION
    return probs, [X, Z1, Y1, Z2]


# %% grade_id="q2backward-impl" kind="solution"
def backward(Y_true, probs, intermediate, params):
    """Gradients [grad_W1, grad_b1, grad_W2, grad_b2] of the mean multiclass loss.

    Args:
        Y_true: class numbers, shape (N,)
        probs: network outputs, shape (K, N)
        intermediate: [X, Z1, Y1, Z2] from forward
        params: [W1, b1, W2, b2]
    """
    X, Z1, Y1, Z2 = intermediate
    W1, b1, W2, b2 = params
    ### BEGIN SOLUTION
    n = X.shape[1]
    one_hot = np.zeros_like(probs)
    one_hot[np.asarray(Y_true).astype(int), np.arange(n)] = 1.0
    delta2 = probs - one_hot
    delta1 = (W2.T @ delta2) * Y1 * (1 - Y1)
    grad_W2 = delta2 @ Y1.T / n
    grad_b2 = delta2.sum(axis=1, keepdims=True) / n
    grad_W1 = delta1 @ X.T / n
    grad_b1 = delta1.sum(axis=1, keepdims=True) / n
    ### END SOLUTION
    return [grad_W1, grad_b1, grad_W2, grad_b2]


# %% grade_id="q2forward-check" kind="test" points=3
nn_utils.check_two_layer_forward(forward, output="softmax", dims=(6, 5, 4))

# %% grade_id="q2backward-check" kind="test" points=4
nn_utils.check_two_layer_backward(backward, forward, MultiClassCrossEntropyLoss,
                                  output="softmax", dims=(6, 5, 4))

# %% grade_id="q2backward-hidden" kind="test" points=3
# Hidden tests for forward and backward run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_two_layer_forward(forward, output="softmax", seed=71, dims=(8, 3, 10), n=12)
nn_utils.check_two_layer_backward(backward, forward, MultiClassCrossEntropyLoss,
                                  output="softmax", seed=72, dims=(8, 3, 10), n=12)
nn_utils.check_two_layer_backward(backward, forward, MultiClassCrossEntropyLoss,
                                  output="softmax", seed=73, dims=(2, 6, 3), n=3)
### END HIDDEN TESTS

# %% [markdown]
# ### Training [5 points]
#
# 150 epochs with learning rate 0.1, recording `loss_history` and plotting it as before.

# %% grade_id="q2train-setup" kind="readonly"
layer_dims = [train_x.shape[0], 256, 10]
epochs = 150
lr = 0.1

params = TwoLayerNetwork(layer_dims)

# %% grade_id="q2train-impl" kind="solution"
loss_history = []
### BEGIN SOLUTION
for epoch in range(1, epochs + 1):
    probs, intermediate = forward(train_x, params)
    loss = MultiClassCrossEntropyLoss(train_y, probs)
    loss_history.append(loss)
    if epoch == 1 or epoch % 10 == 0:
        print(f"Epoch: {epoch:<4} | Loss: {loss:.8f}")
    grads = backward(train_y, probs, intermediate, params)
    params = GD(params, grads, lr)
### END SOLUTION

# %% grade_id="q2train-plot" kind="readonly"
plt.figure()
plt.plot(loss_history)
plt.xlabel("Epochs")
plt.ylabel("Training Loss")
plt.show()

# %% [markdown]
# The hidden test of training also measures, with your `forward`, the trained network's
# test accuracy against this table:
#
# | data | required test accuracy |
# |---|---|
# | real MNIST | 0.90 |
# | the offline stand-in | 0.88 |

# %% grade_id="q2train-hidden" kind="test" points=5
# Hidden tests for training run here when your notebook is graded.
### BEGIN HIDDEN TESTS
_max_final = {"real": 0.25, "standin": 0.27}[DATA.kind]
nn_utils.check_loss_history(loss_history, epochs=150, max_final_loss=_max_final)
print(f"final loss {loss_history[-1]:.4f} on {DATA.kind} MNIST (required <= {_max_final})")
_limit = {"real": 0.90, "standin": 0.88}[DATA.kind]
_predicted = np.asarray(forward(test_x, params)[0]).argmax(axis=0)
_accuracy = nn_utils.check_accuracy(_predicted, test_y, _limit, "multiclass test accuracy")
print(f"multiclass test accuracy {_accuracy:.4f} on {DATA.kind} MNIST (required {_limit})")
### END HIDDEN TESTS

# %% [markdown]
# ### Evaluation [5 points]
#
# Predict the class with the highest probability, $\hat{y}_i = \arg\max_c P_{c,i}$, and
# compute the training and test accuracy. As in question 1, store them in
# `train_accuracy` and `test_accuracy`: the hidden test compares them with what your
# network's predictions really score.

# %% grade_id="q2eval-impl" kind="solution"
### BEGIN SOLUTION
train_pred = forward(train_x, params)[0].argmax(axis=0)
test_pred = forward(test_x, params)[0].argmax(axis=0)
train_accuracy = np.mean(train_pred == train_y)
test_accuracy = np.mean(test_pred == test_y)
### END SOLUTION
print("Training accuracy:", train_accuracy)
print("Test accuracy:", test_accuracy)

# %% grade_id="q2eval-hidden" kind="test" points=5
# Hidden tests for the evaluation run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_evaluation(train_accuracy, test_accuracy, forward, params,
                          (train_x, train_y), (test_x, test_y), rule="argmax")
### END HIDDEN TESTS

# %% [markdown]
# ### Optional: the digits it gets wrong [0 points]
#
# As in question 1, it is worth looking at test images the network misclassifies, each
# titled with its true and its predicted digit: which digits does it confuse, and would a
# person hesitate too? The cell below is yours and is not graded; leave it as it is if
# you skip this part.

# %% grade_id="q2vis-own" kind="open"
# Optional, not graded: for example, the first 10 misclassified test images, titled
# "true 4, said 9", with nn_utils.show_images(images, titles).

# %% [markdown]
# ## Two slips worth avoiding
#
# **Which axis?** With one sample per column, `probs` is $(10, N)$ and each *column* must
# sum to 1: `np.sum(e, axis=0, keepdims=True)`. `np.sum(e)` adds up the whole array and
# gives columns that sum to far less than 1.
#
# **Sum or mean over the samples?** `delta2 @ Y1.T` already adds up the $N$ per-sample
# gradients $\delta^{(2)}_i {y^{(1)}_i}^T$. Divide by $N$ once, to match the mean loss.
# Dividing twice scales the gradient by $1/N$, and not dividing at all scales it by $N$;
# the checks say which of the two happened.
#
# ## Submitting
#
# 1. *Kernel -> Restart & Run All*; every check should print
#    `All checks passed successfully!` (`python -m nn_utils.self_check
#    two_layer_mnist.ipynb` in a terminal does the same and says which fail).
# 2. Make a PDF of the executed notebook with the kit's exporter, which works offline
#    and renders the equations: in a terminal in this folder run
#    `python -m nn_utils.export_pdf two_layer_mnist.ipynb --name "Your Name"`.
# 3. Hand in the PDF and the `.ipynb` file, as your course asks.
