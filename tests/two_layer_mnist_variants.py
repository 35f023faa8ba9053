"""Student code for two_layer_mnist: correct alternatives and realistic mutants.

The seed-style alternative is written in the manner of the real homework this assignment
mirrors: explicit divisions in the binary backward, np.average, an in-place update loop,
a plain (unshifted) softmax, a one-hot matrix sized from the labels.
"""

from autograder.authoring import parse_answers
from autograder.demo import DEMO_SUBMISSIONS
from backprop_digits_variants import Mutant

# Written in the manner of the homework this assignment mirrors; a demo submission, so
# nbgrader grades it for real too.
SEED_STYLE = parse_answers((DEMO_SUBMISSIONS / "two_layer_mnist" / "finley.cells").read_text())

MEAN_STYLE = {
    "q1loss-sigmoid-impl": '''
def sigmoid(Z):
    return 0.5 * (1.0 + np.tanh(0.5 * Z))
''',
    "q1loss-impl": '''
def CrossEntropyLoss(Y_true, Y2):
    p = Y2.ravel()
    return -np.mean(np.where(Y_true == 1, np.log(p), np.log(1 - p)))
''',
    "q1backward-impl": '''
def backward(Y_true, Y2, intermediate, params):
    X, Z1, Y1, Z2 = intermediate
    delta2 = Y2 - Y_true.reshape(1, -1)
    delta1 = (params[2].T @ delta2) * Y1 * (1 - Y1)
    n = delta2.shape[1]
    return [np.einsum("hn,dn->hd", delta1, X) / n, delta1.mean(axis=1, keepdims=True),
            np.einsum("kn,hn->kh", delta2, Y1) / n, delta2.mean(axis=1, keepdims=True)]
''',
    "q1gd-impl": '''
def GD(params, grads, learning_rate):
    updated = []
    for p, g in zip(params, grads):
        updated.append(p - learning_rate * g)
    return updated
''',
    "q2loss-impl": '''
def MultiClassCrossEntropyLoss(Y_true, probs):
    rows = np.eye(probs.shape[0])[Y_true.astype(int)].T
    return -np.sum(rows * np.log(probs)) / probs.shape[1]
''',
}

ALTERNATIVES = {"seed style": SEED_STYLE, "mean and einsum style": MEAN_STYLE}

# The seed's own wrong code: sizes written in, and a "stable" softmax taking log(-max).
SEED_HARD_CODED_INIT = '''
def TwoLayerNetwork(layer_dims=[784, 256, 1]):
    np.random.seed(3)
    first = np.random.normal(loc=0, scale=0.01, size=[256, 784])  # sizes written in
    second = np.random.normal(loc=0, scale=0.01, size=[1, 256])
    return [first, np.zeros((layer_dims[1], 1)), second, np.zeros((layer_dims[2], 1))]
'''
SEED_STABLE_SOFTMAX = '''
def stable_softmax(Z):
    shift = -Z.max(axis=0, keepdims=True)
    log_shift = np.log(shift)  # the mistake: the log of a negative number
    return np.exp(Z + log_shift) / (shift * np.exp(Z + log_shift).sum())
'''


class Replace(Mutant):
    """A mutant that replaces the whole cell."""

    def apply(self, reference: dict) -> dict:
        return {self.grade_id: self.new}


MUTANTS = [
    # Initialisation
    Replace("sizes written in (as in the seed)", "q1init-impl", "", SEED_HARD_CODED_INIT,
            r"take every size from layer_dims"),
    Mutant("standard deviation 1", "q1init-impl", "np.random.normal(0.0, 0.01, size=(n_hidden, n_in))",
           "np.random.normal(0.0, 1.0, size=(n_hidden, n_in))", r"standard deviation"),
    Mutant("W1 transposed", "q1init-impl", "size=(n_hidden, n_in)", "size=(n_in, n_hidden)",
           r"W1 has shape"),
    Mutant("W2 drawn around 1", "q1init-impl", "np.random.normal(0.0, 0.01, size=(n_out, n_hidden))",
           "np.random.normal(1.0, 0.01, size=(n_out, n_hidden))", r"W2 has mean 1\.0"),
    Mutant("no fixed seed", "q1init-impl", "    np.random.seed(3)\n", "", r"differs between two calls"),
    # Data
    Mutant("images of larger classes selected too", "q1data-impl", "first = x[y == label1][:num_samples]",
           "first = x[y >= label1][:num_samples]", r"an image of class \d is labelled 0"),
    # Sigmoid and loss
    Mutant("exponent sign flipped", "q1loss-sigmoid-impl", "np.exp(-Z)", "np.exp(Z)", r"sign of the exponent"),
    Mutant("loss summed", "q1loss-impl", "float(np.mean(losses))", "float(np.sum(losses))",
           r"times too large"),
    Mutant("minus sign lost", "q1loss-impl", "losses = -Y_true * np.log(Y2) - (1 - Y_true) * np.log(1 - Y2)",
           "losses = Y_true * np.log(Y2) + (1 - Y_true) * np.log(1 - Y2)", r"loss is negative"),
    Mutant("second term dropped", "q1loss-impl", " - (1 - Y_true) * np.log(1 - Y2)", "",
           r"returned .*expected"),
    # Forward
    Mutant("b1 forgotten", "q1forward-impl", "Z1 = W1 @ X + b1", "Z1 = W1 @ X", r"b1 is missing"),
    Mutant("no output sigmoid", "q1forward-impl", "Y2 = sigmoid(Z2)", "Y2 = Z2", r"output activation"),
    Mutant("ReLU hidden layer", "q1forward-impl", "Y1 = sigmoid(Z1)", "Y1 = np.maximum(0, Z1)",
           r"not a ReLU"),
    Mutant("X transposed", "q1forward-impl", "Z1 = W1 @ X + b1", "Z1 = W1 @ X.T.T.T + b1",
           r"raised ValueError"),
    # Backward
    Mutant("Y2 changed in place", "q1backward-impl", "delta2 = Y2 - Y_true",
           "Y2 -= Y_true\n    delta2 = Y2", r"changed its argument Y2 in place"),
    Mutant("not averaged", "q1backward-impl", "n = X.shape[1]", "n = 1", r"times too large"),
    Mutant("averaged twice", "q1backward-impl", "n = X.shape[1]", "n = X.shape[1] ** 2",
           r"average twice"),
    Mutant("bias gradient loses its column", "q1backward-impl",
           "grad_b1 = delta1.sum(axis=1, keepdims=True) / n", "grad_b1 = delta1.sum(axis=1) / n",
           r"keepdims=True"),
    Mutant("sigmoid derivative missing", "q1backward-impl",
           "delta1 = (W2.T @ delta2) * Y1 * (1 - Y1)", "delta1 = W2.T @ delta2",
           r"grad_W1 does not match"),
    # Gradient descent
    Mutant("uphill", "q1gd-impl", "p - learning_rate * g", "p + learning_rate * g", r"uphill"),
    Mutant("learning rate dropped", "q1gd-impl", "p - learning_rate * g", "p - g",
           r"learning rate is not applied"),
    Mutant("returns the gradients", "q1gd-impl", "p - learning_rate * g", "g", r"not the gradients"),
    Mutant("returns one array", "q1gd-impl", "return [p - learning_rate * g for p, g in zip(params, grads)]",
           "return params[0] - learning_rate * grads[0]", r"returned ndarray"),
    # Training and evaluation (both need the training loop to run)
    Mutant("losses not recorded", "q1train-impl", "    loss_history.append(loss)\n", "",
           r"has 0 entries"),
    Mutant("parameters never updated", "q1train-impl", "    params = GD(params, grads, lr)\n",
           "    GD(params, grads, lr)\n", r"loss went from|accuracy .* below"),
    Mutant("accuracy counted, not divided", "q1eval-impl",
           "test_accuracy = np.mean(test_pred == test_y)",
           "test_accuracy = np.sum(test_pred == test_y)", r"divide it by N"),
    Mutant("test accuracy measured on the training set", "q2eval-impl",
           "test_accuracy = np.mean(test_pred == test_y)",
           "test_accuracy = np.mean(train_pred == train_y)", r"accuracy on the other set"),
    # Softmax
    Mutant("summed over the whole array", "q2softmax-impl", "e.sum(axis=0, keepdims=True)",
           "e.sum()", r"whole array"),
    Mutant("summed along rows", "q2softmax-impl", "e.sum(axis=0, keepdims=True)",
           "e.sum(axis=1, keepdims=True)", r"rows sum to 1|along the rows"),
    Mutant("shifted by the row maximum, summed along rows", "q2softmax-impl",
           "e = np.exp(Z - Z.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)",
           "e = np.exp(Z - Z.max(axis=1, keepdims=True))\n    return e / e.sum(axis=1, keepdims=True)",
           r"rows sum to 1 instead of the columns"),
    Mutant("exponential forgotten", "q2softmax-impl", "e = np.exp(Z - Z.max(axis=0, keepdims=True))",
           "e = Z - Z.min(axis=0, keepdims=True) + 1e-9", r"wrong values"),
    # Multiclass loss
    Mutant("loss summed", "q2loss-impl", "float(-np.mean(np.log(picked)))",
           "float(-np.sum(np.log(picked)))", r"times too large"),
    Mutant("probabilities of class 0", "q2loss-impl", "picked = probs[classes, np.arange(probs.shape[1])]",
           "picked = probs[0]", r"returned .*expected"),
    Mutant("log of all classes", "q2loss-impl", "float(-np.mean(np.log(picked)))",
           "float(-np.mean(np.log(probs)))", r"returned .*expected"),
    Mutant("minus sign lost", "q2loss-impl", "float(-np.mean(np.log(picked)))",
           "float(np.mean(np.log(picked)))", r"wrong sign|returned .*expected"),
    Mutant("loss's one-hot sized from the labels", "q2loss-impl",
           "return float(-np.mean(np.log(picked)))",
           "one_hot = np.zeros((classes.max() + 1, probs.shape[1]))\n"
           "    one_hot[classes, np.arange(probs.shape[1])] = 1\n"
           "    return float(-np.sum(one_hot * np.log(probs)) / probs.shape[1])",
           r"lacks class 3.*\n.*not from the\s+labels' largest value"),
    # Multiclass backward
    Mutant("not averaged", "q2backward-impl", "grad_W2 = delta2 @ Y1.T / n", "grad_W2 = delta2 @ Y1.T",
           r"times too large"),
    Mutant("one-hot subtracted the wrong way", "q2backward-impl", "delta2 = probs - one_hot",
           "delta2 = one_hot - probs", r"wrong sign|uphill"),
    Mutant("hidden delta without the sigmoid derivative", "q2backward-impl",
           "delta1 = (W2.T @ delta2) * Y1 * (1 - Y1)", "delta1 = (W2.T @ delta2) * Y1",
           r"grad_W1 does not match"),
    Mutant("bias gradient summed over classes", "q2backward-impl",
           "grad_b2 = delta2.sum(axis=1, keepdims=True) / n", "grad_b2 = delta2.sum(axis=0, keepdims=True) / n",
           r"grad_b2 has shape"),
    # The seed's own one-hot, sized by the largest label: right for a batch that holds
    # every class, a crash for one that lacks the last.
    Mutant("one-hot sized from the labels (the seed's)", "q2backward-impl",
           "one_hot = np.zeros_like(probs)",
           "one_hot = np.zeros((int(np.max(Y_true)) + 1, n))",
           r"batch without class \d.*\n.*size the one-hot matrix from the probabilities"),
]

STABLE_BY_THE_ARRAY_MAXIMUM = Mutant(
    "shifted by the largest logit of the whole array", "stable-impl",
    "shifted = Z - Z.max(axis=0, keepdims=True)", "shifted = Z - Z.max()",
    r"near 1000 in some columns and -1000 in others.*\n.*column's own maximum")
STABLE_IN_PLACE = Mutant(
    "logits shifted in place", "stable-impl",
    "shifted = Z - Z.max(axis=0, keepdims=True)",
    "Z -= Z.max(axis=0, keepdims=True)\n    shifted = Z", r"changed its argument Z in place")
SEED_STABLE = Replace("log of a negative number (as in the seed)", "stable-impl", "",
                      SEED_STABLE_SOFTMAX, r"log of a negative")
SEED_PLAIN_AS_STABLE = Replace("plain softmax overflows (the seed's softmax)", "stable-impl", "",
                               "def stable_softmax(Z):\n    return np.exp(Z) / np.sum(np.exp(Z), axis=0)\n",
                               r"near 1000.*overflow")
