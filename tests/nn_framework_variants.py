"""Student code for nn_framework: correct alternatives and realistic mutants."""

from autograder.authoring import parse_answers
from autograder.demo import DEMO_SUBMISSIONS
from backprop_digits_variants import Mutant

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
           SEED_BACKWARD, r"iris test accuracy: accuracy 0\.33\d* is below"),
]
