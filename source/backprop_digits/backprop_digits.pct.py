# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Backpropagation by hand: classifying handwritten digits
#
# In this assignment you build the pieces of a neural network yourself, in numpy, and
# train it to recognise 8x8 images of handwritten digits.
#
# You will write four things:
#
# | Task | What | Points |
# |---|---|---|
# | Proof | the log-sum-exp identity (graded by a person) | 10 |
# | 1 | an `Affine` layer: forward and backward | 10 |
# | 2 | a `ReLU` layer: forward and backward | 6 |
# | 3 | a `CategoricalCrossEntropy` loss: forward and backward | 10 |
# | 4 | a two-layer `FeedforwardNeuralNet` trained with gradient descent | 14 |
#
# **How you are graded.** After each task a cell calls a checker from `nn_utils`. It
# prints `All checks passed successfully!` or stops with a message that names the method,
# the tensor and the most likely mistake. Passing it earns half of the task's points; the
# other half comes from hidden tests run at grading time, which repeat the same checks
# with other shapes and random seeds (and, for Task 4, train your network and require a
# test accuracy of at least 0.9). Code that passes the visible checks honestly almost
# always passes the hidden ones.
#
# **Rules.**
# 1. No Python loops over samples or features: use matrix products and broadcasting.
# 2. Think about numerical stability: `np.exp(1000)` is `inf` in float64.
# 3. Do not modify the locked cells, and do not rename the classes or methods.
#
# Before you submit: *Kernel -> Restart & Run All*, and check that every cell ran.

# %% grade_id="setup" kind="readonly"
import numpy as np
import matplotlib.pyplot as plt

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import label_binarize
from sklearn.metrics import accuracy_score

from scipy.special import softmax

import nn_utils  # the checkers used below

# %% grade_id="data" kind="readonly"
X, y = load_digits(return_X_y=True)
# One-hot encode the class of each sample: y has shape (N,), Y has shape (N, K).
Y = label_binarize(y, classes=np.unique(y)).astype(np.float64)

np.random.seed(123)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_size=0.25)

N, K = Y.shape  # number of samples, number of classes
D = X.shape[1]  # number of features (8 x 8 pixels)
print(f"train {X_train.shape}, test {X_test.shape}, classes {K}")

# %% [markdown]
# ## Numerical stability: the log-sum-exp trick
#
# The softmax turns a vector of logits $x \in \mathbb{R}^N$ into probabilities
#
# $$\mathrm{softmax}(x)_i = \frac{e^{x_i}}{\sum_{j=1}^{N} e^{x_j}},$$
#
# and the cross-entropy needs its logarithm, which involves
# $\log \sum_{j} e^{x_j}$. In float64, $e^{x}$ overflows to `inf` once $x$ passes about
# 709 ($\ln$ of the largest float64, about $1.8 \times 10^{308}$), and underflows to 0 below
# about $-745$. The fix rests on two facts, which you prove here.
#
# **Prove** that for any constant $a \in \mathbb{R}$
#
# $$\log \sum_{i=1}^{N} e^{x_i} = a + \log \sum_{i=1}^{N} e^{x_i - a},$$
#
# and that the softmax does not change when the same constant is subtracted from every
# logit: $\mathrm{softmax}(x - a\mathbf{1}) = \mathrm{softmax}(x)$. Then say in one
# sentence which $a$ you would choose in code, and why.
#
# *How this answer is graded (10 points):* the identity proved with each step justified
# (4); the softmax invariance proved (4); the choice of $a$ and the reason (2).
# Write in the cell below; LaTeX between dollar signs renders.

# %% [markdown] grade_id="logsumexp-proof" kind="answer" points=10
# **Model answer (for graders).** Since $e^{x_i} = e^{a} e^{x_i - a}$,
#
# $$\log \sum_i e^{x_i} = \log \Big( e^{a} \sum_i e^{x_i - a} \Big)
#   = \log e^{a} + \log \sum_i e^{x_i - a} = a + \log \sum_i e^{x_i - a}.$$
#
# For the softmax, multiply numerator and denominator by $e^{-a} \neq 0$:
#
# $$\frac{e^{x_i - a}}{\sum_j e^{x_j - a}} = \frac{e^{-a} e^{x_i}}{e^{-a} \sum_j e^{x_j}}
#   = \frac{e^{x_i}}{\sum_j e^{x_j}}.$$
#
# Choose $a = \max_j x_j$: then every exponent is at most 0, so no term overflows, and
# the largest term is $e^0 = 1$, so the sum is at least 1 and its log is finite.
#
# **Rubric.** Identity (4): 4 with the factorisation $e^{x_i} = e^a e^{x_i-a}$ and
# $\log(uv) = \log u + \log v$ stated; 2 if the steps are right but unjustified; 0 for
# working backwards from the result without showing equivalence. Softmax (4): 4 for the
# cancellation of $e^{-a}$ (a common slip is cancelling inside the sum incorrectly:
# deduct 2); Choice of $a$ (2): the maximum, with overflow as the reason (1 point if only
# "to be stable" is given).

# %% [markdown]
# ## Task 1: the affine layer
#
# An affine (fully connected) layer maps a batch of inputs $X \in \mathbb{R}^{N \times D}$
# to $XW + b$ with $W \in \mathbb{R}^{D \times H}$ and $b \in \mathbb{R}^{H}$ (added to
# every row). In `backward` you receive $\partial L / \partial \text{out}$ of shape
# $(N, H)$, called `d_out`, and return the gradients with respect to the inputs, the
# weight and the bias. Each gradient has the shape of the thing it is the gradient of.
#
# Hint: write the shapes next to each product; only one arrangement of `X`, `W` and
# `d_out` (and their transposes) gives each shape.

# %% grade_id="affine-impl" kind="solution"
class Affine:
    def forward(self, inputs, weight, bias):
        """Affine layer, forward pass: the inputs times the weight, plus the bias.

        Args:
            inputs: a batch of N rows of D features, shape (N, D)
            weight: the layer's weights, shape (D, H)
            bias: bias vector, shape (H,)

        Returns:
            out: output matrix, shape (N, H)
        """
        self.cache = (inputs, weight, bias)
        ### BEGIN SOLUTION
        out = inputs @ weight + bias
        ### END SOLUTION
        return out

    def backward(self, d_out):
        """Affine layer, backward: gradients of the loss from d_out.

        Args:
            d_out: gradient of the loss with respect to the output, shape (N, H)

        Returns:
            d_inputs: gradient with respect to the inputs, shape (N, D)
            d_weight: gradient with respect to the weight, shape (D, H)
            d_bias: gradient with respect to the bias, shape (H,)
        """
        inputs, weight, bias = self.cache
        ### BEGIN SOLUTION
        d_inputs = d_out @ weight.T
        d_weight = inputs.T @ d_out
        d_bias = d_out.sum(axis=0)
        ### END SOLUTION
        return d_inputs, d_weight, d_bias


# %% grade_id="affine-check" kind="test" points=5
affine = Affine()
nn_utils.check_affine(affine)

# %% grade_id="affine-hidden" kind="test" points=5
# Hidden tests for Task 1 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_affine(Affine(), seed=31, shapes=((13, 8, 8), (1, 4, 2), (32, 64, 10)))
### END HIDDEN TESTS

# %% [markdown]
# ## Task 2: the ReLU layer
#
# $\mathrm{ReLU}(x) = \max(0, x)$, applied to every entry. Its derivative is 1 where
# $x > 0$ and 0 where $x < 0$ (at exactly 0 we use 0). `backward` multiplies the incoming
# gradient by that mask. Inputs may have any shape.

# %% grade_id="relu-impl" kind="solution"
class ReLU:
    def forward(self, inputs):
        """Forward pass of a ReLU layer.

        Args:
            inputs: input array, any shape

        Returns:
            out: output array, same shape as inputs
        """
        self.cache = inputs
        ### BEGIN SOLUTION
        out = np.maximum(0.0, inputs)
        ### END SOLUTION
        return out

    def backward(self, d_out):
        """Backward pass of a ReLU layer.

        Args:
            d_out: gradient of the loss with respect to the output, same shape as inputs

        Returns:
            d_inputs: gradient with respect to the inputs, same shape as d_out
        """
        inputs = self.cache
        ### BEGIN SOLUTION
        d_inputs = d_out * (inputs > 0)
        ### END SOLUTION
        return d_inputs


# %% grade_id="relu-check" kind="test" points=3
relu = ReLU()
nn_utils.check_relu(relu)

# %% grade_id="relu-hidden" kind="test" points=3
# Hidden tests for Task 2 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_relu(ReLU(), seed=47, shapes=((2,), (17, 3), (2, 3, 4, 5)))
### END HIDDEN TESTS

# %% [markdown]
# ## Task 3: the categorical cross-entropy loss
#
# For logits $Z \in \mathbb{R}^{N \times K}$ and one-hot labels $Y$, with
# $P = \mathrm{softmax}(Z)$ taken over each row, the loss is the mean over the batch
#
# $$L = -\frac{1}{N} \sum_{n=1}^{N} \sum_{k=1}^{K} Y_{nk} \log P_{nk}.$$
#
# Its gradient with respect to the logits is
# $\frac{\partial L}{\partial Z} = \frac{1}{N} (P - Y)$.
#
# `forward` returns a Python float and must stay finite for logits near 1000 (use the
# identity you proved). `backward(d_out)` receives the gradient of some final quantity
# with respect to the loss. It is 1.0 when the loss is the end of the graph, but not
# always: by the chain rule, multiply by it.

# %% grade_id="crossentropy-impl" kind="solution"
class CategoricalCrossEntropy:
    def forward(self, logits, labels):
        """Mean categorical cross-entropy of a batch.

        Args:
            logits: class scores, shape (N, K)
            labels: one-hot targets, shape (N, K)

        Returns:
            loss: a Python float
        """
        ### BEGIN SOLUTION
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        probs = np.exp(log_probs)
        loss = float(-np.sum(labels * log_probs) / logits.shape[0])
        ### END SOLUTION
        # backward needs the (N, K) probabilities and the labels
        self.cache = (probs, labels)
        return loss

    def backward(self, d_out=1.0):
        """Backward pass of the loss.

        Args:
            d_out: gradient with respect to the loss (a number); 1.0 when the loss is
                the last node of the computation graph.

        Returns:
            d_logits: gradient with respect to the logits, shape (N, K)
            d_labels: None; the labels are data, and no model needs their gradient
        """
        probs, labels = self.cache
        ### BEGIN SOLUTION
        d_logits = d_out * (probs - labels) / probs.shape[0]
        ### END SOLUTION
        d_labels = None
        return d_logits, d_labels


# %% grade_id="crossentropy-check" kind="test" points=5
cross_entropy = CategoricalCrossEntropy()
nn_utils.check_cross_entropy(cross_entropy)

# %% grade_id="crossentropy-hidden" kind="test" points=5
# Hidden tests for Task 3 run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_cross_entropy(CategoricalCrossEntropy(), seed=59,
                             shapes=((1, 2), (12, 10), (40, 3)))
### END HIDDEN TESTS

# %% [markdown]
# ## Logistic regression, trained by backpropagation (nothing to write)
#
# This model is a single affine layer followed by a softmax. It uses your `Affine` and
# `CategoricalCrossEntropy`, so if they are right it reaches a test accuracy near 0.95.
# Read `step`: it is the pattern Task 4 follows.

# %% grade_id="logreg" kind="readonly"
class LogisticRegression:
    def __init__(self, num_features, num_classes, learning_rate=1e-2):
        """Logistic regression: input -> affine -> softmax, trained by gradient descent."""
        self.learning_rate = learning_rate
        self.params = {
            "W": np.zeros([num_features, num_classes]),
            "b": np.zeros([num_classes]),
        }
        self.affine = Affine()
        self.cross_entropy = CategoricalCrossEntropy()

    def predict(self, X):
        """Class probabilities, shape (N, K), for a data matrix X of shape (N, D)."""
        logits = self.affine.forward(X, self.params["W"], self.params["b"])
        return softmax(logits, axis=1)

    def step(self, X, Y):
        """One gradient-descent step on (X, Y); returns the loss before the update."""
        logits = self.affine.forward(X, self.params["W"], self.params["b"])
        loss = self.cross_entropy.forward(logits, Y)

        grads = {}
        d_logits, _ = self.cross_entropy.backward()
        _, grads["W"], grads["b"] = self.affine.backward(d_logits)

        for name in self.params:
            self.params[name] = self.params[name] - self.learning_rate * grads[name]
        return loss


# %% grade_id="logreg-train" kind="readonly"
learning_rate = 1e-2
max_epochs = 501
report_frequency = 50

log_reg = LogisticRegression(num_features=D, num_classes=K, learning_rate=learning_rate)
for epoch in range(max_epochs):
    loss = log_reg.step(X_train, Y_train)
    if epoch % report_frequency == 0:
        print(f"Epoch {epoch:4d}, loss = {loss:.4f}")

y_test_pred = log_reg.predict(X_test).argmax(1)
print(f"test set accuracy = {accuracy_score(Y_test.argmax(1), y_test_pred):.3f}")

# %% [markdown]
# ## Task 4: a two-layer feed-forward network
#
# Build `input -> affine -> relu -> affine -> softmax` from your layers, following
# `LogisticRegression`. In `__init__`, create the layer objects. In `step`, run the
# forward pass to the loss, back-propagate through the layers in reverse order, and
# update every parameter with $\theta \leftarrow \theta - \eta \, \partial L /
# \partial \theta$.
#
# A layer object remembers the inputs of its latest `forward` in `self.cache`. If one
# object serves two places in the network, the cache of the first place is overwritten
# by the second. Think about what that means for `backward`.

# %% grade_id="xavier" kind="readonly"
def xavier_init(shape):
    """Uniform Xavier (Glorot) initialisation: U(-a, a) with a = sqrt(6 / (fan_in + fan_out))."""
    a = np.sqrt(6.0 / float(np.sum(shape)))
    return np.random.uniform(low=-a, high=a, size=shape)


# %% grade_id="feedforward-impl" kind="solution"
class FeedforwardNeuralNet:
    def __init__(self, input_size, hidden_size, output_size, learning_rate=1e-2):
        """Two-layer network: input -> affine -> relu -> affine -> softmax."""
        self.learning_rate = learning_rate
        self.params = {
            "W1": xavier_init([input_size, hidden_size]),
            "b1": np.zeros([hidden_size]),
            "W2": xavier_init([hidden_size, output_size]),
            "b2": np.zeros([output_size]),
        }
        # Create the layers here.
        ### BEGIN SOLUTION
        self.hidden = Affine()
        self.relu = ReLU()
        self.output = Affine()
        self.loss = CategoricalCrossEntropy()
        ### END SOLUTION

    def predict(self, X):
        """Class probabilities for a batch.

        Args:
            X: data matrix, shape (N, D)

        Returns:
            Y_pred: class probabilities, shape (N, K); each row sums to 1
        """
        ### BEGIN SOLUTION
        hidden = self.relu.forward(self.hidden.forward(X, self.params["W1"], self.params["b1"]))
        logits = self.output.forward(hidden, self.params["W2"], self.params["b2"])
        Y_pred = softmax(logits, axis=1)
        ### END SOLUTION
        return Y_pred

    def step(self, X, Y):
        """One gradient-descent step on a batch.

        Args:
            X: data matrix, shape (N, D)
            Y: one-hot targets, shape (N, K)

        Returns:
            loss: the loss on (X, Y) before the update, a float
        """
        ### BEGIN SOLUTION
        hidden = self.relu.forward(self.hidden.forward(X, self.params["W1"], self.params["b1"]))
        logits = self.output.forward(hidden, self.params["W2"], self.params["b2"])
        loss = self.loss.forward(logits, Y)
        grads = {}
        d_logits, _ = self.loss.backward()
        d_hidden, grads["W2"], grads["b2"] = self.output.backward(d_logits)
        _, grads["W1"], grads["b1"] = self.hidden.backward(self.relu.backward(d_hidden))
        for name in self.params:
            self.params[name] = self.params[name] - self.learning_rate * grads[name]
        ### END SOLUTION
        return loss


# %% grade_id="feedforward-check" kind="test" points=7
nn_utils.check_feedforward_net(FeedforwardNeuralNet)

# %% [markdown]
# Now train it. With a hidden layer of 32 units the loss should fall steadily and the
# test accuracy end above 0.9.

# %% grade_id="feedforward-train" kind="readonly"
H = 32  # size of the hidden layer
learning_rate = 1e-2
max_epochs = 501
report_frequency = 50

model = FeedforwardNeuralNet(input_size=D, hidden_size=H, output_size=K,
                             learning_rate=learning_rate)
for epoch in range(max_epochs):
    loss = model.step(X_train, Y_train)
    if epoch % report_frequency == 0:
        print(f"Epoch {epoch:4d}, loss = {loss:.4f}")

y_test_pred = model.predict(X_test).argmax(1)
print(f"test set accuracy = {accuracy_score(Y_test.argmax(1), y_test_pred):.3f}")

# %% grade_id="feedforward-hidden" kind="test" points=7
# Hidden tests for Task 4 run here when your notebook is graded: the checks above with
# other sizes and seeds, then a fresh network trained as above must reach a test
# accuracy of at least 0.9.
### BEGIN HIDDEN TESTS
nn_utils.check_feedforward_net(FeedforwardNeuralNet, seed=83,
                               sizes=((16, 10, 12, 3), (1, 5, 4, 6), (33, 64, 32, 10)))
_X, _y = load_digits(return_X_y=True)
_Y = label_binarize(_y, classes=np.arange(10)).astype(np.float64)
_X_train, _X_test, _Y_train, _Y_test = train_test_split(_X, _Y, test_size=0.25,
                                                        random_state=123)
np.random.seed(2)
with nn_utils.quiet_numpy():
    _net = FeedforwardNeuralNet(input_size=64, hidden_size=32, output_size=10,
                                learning_rate=1e-2)
    for _ in range(501):
        _net.step(_X_train, _Y_train)
    _predicted = np.asarray(_net.predict(_X_test)).argmax(axis=1)
_accuracy = nn_utils.check_accuracy(_predicted, _Y_test.argmax(axis=1), 0.9,
                                    "FeedforwardNeuralNet test accuracy")
print(f"hidden test accuracy {_accuracy:.3f} (required 0.9)")
### END HIDDEN TESTS

# %% [markdown]
# ## Submitting
#
# 1. *Kernel -> Restart & Run All*, and check that every check above printed
#    `All checks passed successfully!` (or run `python -m nn_utils.self_check
#    backprop_digits.ipynb` in a terminal here: it lists the checks that fail).
# 2. If your course wants a PDF: `python -m nn_utils.export_pdf backprop_digits.ipynb
#    --name "Your Name"` (offline, equations rendered).
# 3. Save the notebook and hand in this `.ipynb` file as your course tells you.
