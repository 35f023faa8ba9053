"""Student code for nn_framework: correct alternatives and realistic mutants."""

from autograder.authoring import parse_answers
from autograder.demo import DEMO_SUBMISSIONS
from backprop_digits_variants import Mutant
from notebook_runner import source_notebook

# In the manner of the homework this assignment mirrors (a demo submission, graded for
# real by nbgrader in the end-to-end test).
SEED_STYLE = parse_answers((DEMO_SUBMISSIONS / "nn_framework" / "finley.cells").read_text())

# The homework's two network bugs: X fed to every layer, the loss value sent backward.
SEED_FORWARD = '''        outputs = [layer.forward(X) for layer in self.layers]
        return outputs[-1]
'''
SEED_BACKWARD = '''        value = self.loss(target, out)
        for layer in self.layers[::-1]:
            layer.backward(value)
        return value
'''
NETWORK_FORWARD = '''        for layer in self.layers:
            X = layer.forward(X)
        return X
'''
NETWORK_BACKWARD = '''        loss = self.loss(target, out)
        dLdY = self.loss.backward(target, out)
        for layer in reversed(self.layers):
            dLdY = layer.backward(dLdY)
        return loss
'''

MUTANTS = [
    # 4.1 ReLU
    Mutant("mask inverted", "relu-impl", "dY * (Z > 0)", "dY * (Z < 0)", r"mask is inverted"),
    Mutant("ignores dY", "relu-impl", "dY * (Z > 0)", "(Z > 0).astype(float)", r"ignores dY"),
    Mutant("Z zeroed in place", "relu-impl", "return np.maximum(0.0, Z)",
           "Z[Z < 0] = 0\n        return Z", r"changed its argument `Z` in place"),
    Mutant("gradient passed at the kink", "relu-impl", "dY * (Z > 0)", "dY * (Z >= 0)",
           r"where Z == 0, expected 0 there\n.*not \(Z >= 0\)"),
    Mutant("gradient unmasked", "relu-impl", "dY * (Z > 0)", "dY * 1.0",
           r"must be zero where Z < 0"),
    # 4.2 FullyConnected
    Mutant("activation backward skipped", "fc-impl",
           'dLdZ = self.activation.backward(self.cache["Z"], dLdY)', "dLdZ = dLdY",
           r"activation's backward is skipped"),
    Mutant("bias gradient averaged", "fc-impl", "dLdZ.sum(axis=0, keepdims=True)",
           "dLdZ.mean(axis=0, keepdims=True)", r"not its mean"),
    Mutant("gradients kept in a local variable", "fc-impl",
           'self.gradients["W"] = X.T @ dLdZ', 'gradient_W = X.T @ dLdZ', r"dW .*all zeros"),
    Mutant("bias forgotten", "fc-impl",
           'Z = X @ self.parameters["W"] + self.parameters["b"]', 'Z = X @ self.parameters["W"]',
           r"the bias is missing"),
    Mutant("bias as a vector", "fc-impl", "b = np.zeros((1, self.n_out))",
           "b = np.zeros(self.n_out)", r"b has shape"),
    Mutant("gradient keys differ", "fc-impl",
           'self.gradients = OrderedDict({"W": np.zeros_like(W), "b": np.zeros_like(b)})',
           'self.gradients = OrderedDict({"dW": np.zeros_like(W), "db": np.zeros_like(b)})',
           r"same keys"),
    # 4.3 SoftMax
    Mutant("diagonal of the Jacobian only", "softmax-impl",
           "return s * (dY - np.sum(dY * s, axis=1, keepdims=True))",
           "return dY * s * (1 - s)", r"only the diagonal"),
    Mutant("normalised over the batch", "softmax-impl",
           "e = np.exp(Z - Z.max(axis=1, keepdims=True))\n        return e / e.sum(axis=1, keepdims=True)",
           "e = np.exp(Z)\n        return e / e.sum(axis=0, keepdims=True)", r"axis 0|axis=1"),
    Mutant("not shifted: overflows", "softmax-impl", "np.exp(Z - Z.max(axis=1, keepdims=True))",
           "np.exp(Z)", r"near 1000"),
    Mutant("shifted by the batch's largest entry", "softmax-impl",
           "np.exp(Z - Z.max(axis=1, keepdims=True))", "np.exp(Z - Z.max())",
           r"near 1000.*\n.*each row's own maximum"),
    Mutant("backward ignores dY", "softmax-impl",
           "return s * (dY - np.sum(dY * s, axis=1, keepdims=True))",
           "return s * (1 - np.sum(s, axis=1, keepdims=True))", r"dZ is wrong"),
    # 4.4 CrossEntropy
    Mutant("summed over the batch", "crossentropy-impl", "-np.sum(Y * np.log(Y_hat)) / Y.shape[0]",
           "-np.sum(Y * np.log(Y_hat))", r"summed over the batch"),
    Mutant("gradient without the minus", "crossentropy-impl", "return -Y / Y_hat / Y.shape[0]",
           "return Y / Y_hat / Y.shape[0]", r"minus sign is missing"),
    Mutant("gradient not divided by N", "crossentropy-impl", "return -Y / Y_hat / Y.shape[0]",
           "return -Y / Y_hat", r"times too large"),
    Mutant("loss per sample", "crossentropy-impl", "return float(-np.sum(Y * np.log(Y_hat)) / Y.shape[0])",
           "return -np.sum(Y * np.log(Y_hat), axis=1)", r"returned loss of type ndarray"),
    # 5.1 NeuralNetwork
    Mutant("X fed to every layer (as in the homework)", "network-impl", NETWORK_FORWARD,
           SEED_FORWARD, r"gave the network's input X to layer 1"),
    Mutant("loss value sent backward (as in the homework)", "network-impl", NETWORK_BACKWARD,
           SEED_BACKWARD, r"passed the loss value to the layers instead of its gradient"),
    Mutant("backward in forward order", "network-impl", "for layer in reversed(self.layers):",
           "for layer in self.layers:", r"raised|did not receive|never"),
    Mutant("predict returns the pair reversed", "network-impl",
           "return Y_hat, self.backward(Y, Y_hat)", "return self.backward(Y, Y_hat), Y_hat",
           r"NeuralNetwork.predict"),
    # 6.1 einsum
    Mutant("trace without einsum", "einsum-impl", 'return np.einsum("ii->", A)',
           "return np.trace(A)", r"did not call np.einsum"),
    Mutant("diagonal instead of trace", "einsum-impl", 'np.einsum("ii->", A)',
           'np.einsum("ii->i", A)', r"differs from np.trace"),
    Mutant("outer sum kept", "einsum-impl", 'np.einsum("ij,jk->ik", A, B)',
           'np.einsum("ij,jk->ijk", A, B)', r"differs from A @ B"),
    Mutant("batch summed away", "einsum-impl", 'np.einsum("bnk,bkm->bnm", A, B)',
           'np.einsum("bnk,bkm->nm", A, B)', r"differs from np.matmul"),
]

# The network bugs make training fail too: iris stays at chance.
TRAINING_MUTANTS = [
    Mutant("loss value sent backward: iris stuck", "network-impl", NETWORK_BACKWARD,
           SEED_BACKWARD, r"iris search: best_network's test accuracy is 0\.3\d*, below "
           r"the required 0\.9"),
]

# 5.2 The iris search, graded through what it leaves behind: results, best, best_network.
def _solution_region(assignment: str, grade_id: str) -> str:
    """The code between a source cell's solution markers: what the student writes."""
    cell = next(c for c in source_notebook(assignment).cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return cell.source.split("### BEGIN SOLUTION\n", 1)[1].split("### END SOLUTION", 1)[0]


SEARCH_BODY = _solution_region("nn_framework", "iris-search")


def search(body: str, name: str, message: str | None = None) -> Mutant:
    """The iris-search cell with the reference search replaced by ``body``."""
    return Mutant(name, "iris-search", SEARCH_BODY, body, message)


SEARCH_MUTANTS = [
    search(SEARCH_BODY.replace("(0.01, 0.1, 0.5)", "(0.5,)"), "one learning rate only",
           r"iris search: results holds 2 settings with the learning rates \[0\.5\] and the "
           r"hidden sizes \[5, 20\].*at least three learning rates and two hidden sizes"),
    search(SEARCH_BODY.replace("best = min(", "best = max("), "the highest training loss kept",
           r"iris search: best is \(0\.01, \d+\), whose final training loss is .* but "
           r"\(0\.5, \d+\) reached .*lowest final training loss"),
    search(SEARCH_BODY.replace("(0.01, 0.1, 0.5)", "(0.5, 0.1, 0.01)")
           .replace("networks[best], results[best]", "network, results[best]"),
           "the last network trained kept instead of the best",
           r"iris search: best_network has (20 hidden units|learning rate 0\.01), but "
           r"best = \(0\.5, \d+\) names .*not the last one trained"),
    search('''networks = {}
for learning_rate in (0.01, 0.1, 0.5):
    for hidden_size in (5, 20):
        np.random.seed(0)
        network = make_network(hidden_size, learning_rate)
        losses = train(network, X_train, Y_train, epochs=300)
        results[(learning_rate, hidden_size)] = (losses[-1], network, losses)
best = min(results, key=lambda setting: results[setting][0])
_, best_network, best_losses = results[best]
''', "results holding (loss, network, losses) triples",
           r"iris search: results\[\(0\.01, 5\)\] is a tuple, expected the setting's "
           r"training losses"),
    search('''for learning_rate in (0.01, 0.1, 0.5):
    for hidden_size in (5, 20):
        np.random.seed(0)
        network = make_network(hidden_size, learning_rate)
        results[(learning_rate, hidden_size)] = [float("inf")]
best = (0.5, 20)
best_network, best_losses = network, results[best]
''', "networks built but never trained",
           r"iris search: best_network's test accuracy is 0\.\d+, below the required 0\.9"),
]

# Correct searches in other styles: they keep the 4 points.
SEARCH_ALTERNATIVES = [
    # The homework's own settings, results holding the final loss as a number.
    search('''curves, trained = {}, {}
for rate in (0.7, 0.5, 0.1):
    for width in (20, 25, 50):
        np.random.seed(0)
        net = make_network(width, rate)
        curve = train(net, X_train, Y_train, epochs=300)
        results[(rate, width)] = curve[-1]
        curves[(rate, width)], trained[(rate, width)] = curve, net
best = min(results, key=results.get)
best_network, best_losses = trained[best], curves[best]
''', "final losses as numbers, the homework's settings"),
    # Keeping the best network while going, losses as numpy arrays, more settings.
    search('''lowest = np.inf
for learning_rate in (0.05, 0.2, 0.4, 0.8):
    for hidden_size in (3, 8, 16):
        np.random.seed(0)
        network = make_network(hidden_size, learning_rate)
        losses = np.array(train(network, X_train, Y_train, epochs=300))
        results[(learning_rate, hidden_size)] = losses
        if losses[-1] < lowest:
            lowest, best = losses[-1], (learning_rate, hidden_size)
            best_network, best_losses = network, losses
''', "best kept while searching, losses as arrays"),
]

# 6.1 einsum: the original homework's comparison script may stay in the cell.
EINSUM_WITH_SCRIPT = '''def trace_einsum(A):
    return np.einsum("ii->", A)


def matmul_einsum(A, B):
    return np.einsum("ij,jk->ik", A, B)


def batched_matmul_einsum(A, B):
    return np.einsum("ijk,ikl->ijl", A, B)


# The comparison with numpy, as a script.
square = np.random.rand(5, 5)
other = np.random.rand(5, 5)
left, right = np.random.rand(3, 4, 5), np.random.rand(3, 5, 6)
einsum = batched_matmul_einsum(left, right)  # a result that shadows the name einsum
numpy = np.matmul(left, right)
for label, mine, reference in (("trace", trace_einsum(square), np.trace(square)),
                               ("product", matmul_einsum(square, other), square @ other),
                               ("batched", einsum, numpy)):
    print(label, "difference:", np.linalg.norm(mine - reference))
'''
EINSUM_IMPORTED = '''from numpy import einsum


def trace_einsum(A):
    return einsum("ii->", A)


def matmul_einsum(A, B):
    return einsum("ij,jk->ik", A, B)


def batched_matmul_einsum(A, B):
    return einsum("bij,bjk->bik", A, B)
'''
# A script alone: the names hold results, not functions.
EINSUM_SCRIPT_ONLY = '''A = np.random.rand(5, 5)
B = np.random.rand(5, 5)
trace_einsum = np.einsum("ii->", A)
matmul_einsum = np.einsum("ij,jk->ik", A, B)
batched_matmul_einsum = np.einsum("ijk,ikl->ijl", np.random.rand(3, 4, 5), np.random.rand(3, 5, 6))
'''
