"""Student code for fc_nets_cifar: correct alternatives and realistic mutants, per notebook.

The seed-style alternative (the demo's finley) follows the real homework this assignment
mirrors: column vectors in the autoencoder, explicit inverses, a two-layer network whose
softmax is computed straight from the definition (correct, but it overflows at large
learning rates), cs231n-style layers, and a multilayer network that keeps its caches in
dictionaries.
"""

from autograder.authoring import parse_answers
from autograder.demo import DEMO_SUBMISSIONS
from backprop_digits_variants import Mutant

SEED_STYLE = parse_answers((DEMO_SUBMISSIONS / "fc_nets_cifar" / "finley.cells").read_text())

# The seed's multilayer network indexes the input's first row as if it were a cache and
# back-propagates through a dictionary it never created: both bugs must cost the points.
SEED_FULLY_CONNECTED = '''
class FullyConnectedNet:
    def __init__(self, hidden_dims, input_dim=3072, num_classes=10, dropout=0,
                 use_batchnorm=False, reg=0.0, weight_scale=1e-2,
                 dtype=np.float32, seed=None):
        self.reg = reg
        self.num_layers = len(hidden_dims) + 1
        self.dtype = dtype
        self.params = {}
        sizes = [input_dim] + hidden_dims + [num_classes]
        for i in range(self.num_layers):
            self.params["W" + str(i + 1)] = np.random.normal(0, weight_scale, (sizes[i], sizes[i + 1]))
            self.params["b" + str(i + 1)] = np.zeros(sizes[i + 1])
        for key in list(self.params):
            self.params[key] = self.params[key].astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        lin, act = {}, {0: X}
        for i in range(self.num_layers):
            lin[i + 1] = affine_forward(act[i][0], self.params["W" + str(i + 1)], self.params["b" + str(i + 1)])
            act[i + 1] = relu_forward(lin[i + 1][0])
        scores = lin[self.num_layers][0]
        if y is None:
            return scores
        loss, d_scores = softmax_loss(scores, y)
        grads = {}
        back[self.num_layers] = d_scores
        for i in reversed(range(self.num_layers)):
            dh, grads["W" + str(i + 1)], grads["b" + str(i + 1)] = affine_backward(back[i + 1], lin[i + 1][1])
            if i:
                back[i] = relu_backward(dh, act[i][1])
        return loss, grads
'''

# Correct, in other styles: solve instead of inverse, einsum, a Solver run with
# different settings.
OTHER_STYLE = {
    "autoencoder-code": '''
def grad_autoencoder(W, x):
    code = np.einsum("kd,d->k", W, x)
    residual = np.einsum("kd,k->d", W, code) - x
    return np.einsum("k,d->kd", code, residual) + np.einsum("kd,d,e->ke", W, residual, x)
''',
    "trace-code": '''
def grad_gplvm_trace(x, Y, alpha, beta):
    K = alpha * np.outer(x, x) + np.eye(x.size) / beta
    v = np.linalg.solve(K, x)
    return alpha * np.linalg.solve(K, Y @ (Y.T @ v))
''',
    "relu-impl": '''
def relu_forward(x):
    return x * (x > 0), x

def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)
''',
    "overfit-choice": '''
weight_scale = 5e-2
learning_rate = 2e-3
''',
}

ALTERNATIVES = {"seed style": SEED_STYLE, "solve and einsum style": OTHER_STYLE}

MUTANTS = [
    # matrix_calculus
    Mutant("autoencoder: only the decoder's W^T", "autoencoder-code",
           "return np.outer(W @ x, a) + W @ np.outer(a, x)", "return np.outer(W @ x, a)",
           r"only the decoder's W\^T is differentiated"),
    Mutant("autoencoder: twice the gradient", "autoencoder-code",
           "return np.outer(W @ x, a) + W @ np.outer(a, x)",
           "return 2 * (np.outer(W @ x, a) + W @ np.outer(a, x))", r"0\.5 in the loss cancels"),
    Mutant("log-determinant without the factor 2", "logdet-code",
           "return -alpha * Y.shape[1]", "return -0.5 * alpha * Y.shape[1]",
           r"half the gradient: d\(x x\^T\) brings x in twice"),
    Mutant("log-determinant without alpha", "logdet-code",
           "return -alpha * Y.shape[1]", "return -Y.shape[1]", r"alpha is missing"),
    Mutant("trace term with the wrong sign", "trace-code",
           "return alpha * K_inv_Y", "return -alpha * K_inv_Y", r"wrong sign"),
    Mutant("gplvm: only the log-determinant", "gplvm-code",
           " + grad_gplvm_trace(x, Y, alpha, beta)", "",
           r"grad_gplvm: does not match the numerical gradient"),
    # two_layer_nn
    Mutant("ReLU on the scores", "net-impl",
           "scores = hidden @ W2.T + b2", "scores = np.maximum(0, hidden @ W2.T + b2)",
           r"a ReLU after the second layer"),
    Mutant("regularisation without 0.5", "net-impl",
           "+ 0.5 * reg * (np.sum(W1 * W1)", "+ reg * (np.sum(W1 * W1)",
           r"lacks its factor 0\.5"),
    Mutant("data loss summed", "net-impl",
           "loss = -log_probs[np.arange(N), y].mean()", "loss = -log_probs[np.arange(N), y].sum()",
           r"summed over the batch"),
    Mutant("W1 gradient without regularisation", "net-impl",
           'grads["W1"] = d_hidden.T @ X + reg * W1', 'grads["W1"] = d_hidden.T @ X',
           r"regularisation gradient reg \* W1 is missing"),
    Mutant("W2 regularisation gradient doubled", "net-impl",
           'grads["W2"] = d_scores.T @ hidden + reg * W2',
           'grads["W2"] = d_scores.T @ hidden + 2 * reg * W2', r"0\.5 in the loss cancels the 2"),
    Mutant("gradients not averaged", "net-impl",
           "d_scores /= N", "d_scores /= 1", r"summed over the batch: divide it by N"),
    Mutant("softmax without the shift", "net-impl",
           "shifted = scores - scores.max(axis=1, keepdims=True)", "shifted = scores",
           r"np\.exp overflows"),
    Mutant("parameters never updated", "net-impl",
           "self.params[name] -= learning_rate * grads[name]", "pass",
           r"final training loss"),
    Mutant("minibatch of the first rows, every iteration", "net-impl",
           "batch = np.random.choice(num_train, batch_size)",
           "batch = np.arange(min(batch_size, num_train))",
           r"W1 did not change in 12 iterations.*\n.*fresh random minibatch"),
    Mutant("labels of another draw", "net-impl",
           "X_batch, y_batch = X[batch], y[batch]",
           "X_batch, y_batch = X[batch], y[np.random.choice(num_train, batch_size)]",
           r"final training loss"),
    Mutant("predict over the wrong axis", "net-impl",
           "y_pred = np.argmax(self.loss(X), axis=1)", "y_pred = np.argmax(self.loss(X), axis=0)",
           r"np\.argmax\(scores, axis=1\)"),
    # FC_nets
    Mutant("affine forward without flattening", "affine-impl",
           "out = x.reshape(x.shape[0], -1) @ w + b", "out = x @ w + b",
           r"affine_forward raised ValueError"),
    Mutant("affine db averaged", "affine-impl",
           "db = dout.sum(axis=0)", "db = dout.mean(axis=0)", r"not its mean"),
    Mutant("affine forward without the bias", "affine-impl",
           "out = x.reshape(x.shape[0], -1) @ w + b", "out = x.reshape(x.shape[0], -1) @ w",
           r"the bias b is missing"),
    Mutant("ReLU mask from dout", "relu-impl",
           "dx = dout * (x > 0)", "dx = dout * (dout > 0)", r"relu_backward: dx .*mask comes from dout"),
    Mutant("ReLU gradient passed at the kink", "relu-impl",
           "dx = dout * (x > 0)", "dx = dout * (x >= 0)", r"relu_backward: dx is .* where x == 0"),
    Mutant("affine_relu skipping the ReLU's backward", "affinerelu-impl",
           "dx, dw, db = affine_backward(relu_backward(dout, relu_cache), fc_cache)",
           "dx, dw, db = affine_backward(dout, fc_cache)", r"affine_relu_backward: dx .*ReLU's backward is skipped"),
    Mutant("two-layer net: weights not scaled", "twolayer-impl",
           'self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dims)',
           'self.params["W1"] = np.random.randn(input_dim, hidden_dims)',
           r"standard deviation .* weight_scale"),
    Mutant("two-layer net: regularisation without 0.5", "twolayer-impl",
           "loss += 0.5 * self.reg * (", "loss += self.reg * (", r"lacks its factor 0\.5"),
    Mutant("two-layer net: W2 gradient without regularisation", "twolayer-impl",
           'grads["W2"] += self.reg * W2', "pass", r"grads\['W2'\] does not match"),
    Mutant("multilayer net: ReLU after the last layer", "fcnet-impl",
           'scores, last_cache = affine_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])',
           'scores, last_cache = affine_relu_forward(out, self.params[f"W{last}"], self.params[f"b{last}"])',
           r"a ReLU after the last affine layer"),
    Mutant("multilayer net: caches in the wrong order", "fcnet-impl",
           "affine_relu_backward(d_out, caches[i - 1])", "affine_relu_backward(d_out, caches[-i])",
           r"FullyConnectedNet\.loss"),
    Mutant("multilayer net: only the last weights regularised", "fcnet-impl",
           "for i in range(1, last + 1):", "for i in range(last, last + 1):",
           r"FullyConnectedNet\.loss: the loss is"),
    Mutant("overfitting with too small a learning rate", "overfit-choice",
           "learning_rate = 1e-3", "learning_rate = 1e-5", r"final training accuracy"),
]
# Which notebook each task lives in.
NOTEBOOK_OF_TASK = {
    **{task: "matrix_calculus" for task in ("meaning", "autoencodergraph", "autoencoder",
                                            "logdetgraph", "logdet", "tracegraph", "trace",
                                            "gplvm")},
    **{task: "two_layer_nn" for task in ("net", "scores", "loss", "grads", "train", "debug",
                                         "search", "weights", "test")},
    **{task: "FC_nets" for task in ("affine", "relu", "affinerelu", "twolayer", "solver",
                                    "fcnet", "overfit")},
}

# Each mutant of the two-layer network's class breaks the tasks that test that method.
TASKS_OF_NET_MUTANT = {
    "ReLU on the scores": {"scores"},
    "regularisation without 0.5": {"loss"},
    "data loss summed": {"loss"},
    "W1 gradient without regularisation": {"grads"},
    "W2 regularisation gradient doubled": {"grads"},
    "gradients not averaged": {"grads"},
    "softmax without the shift": {"loss"},
    "parameters never updated": {"train"},
    "minibatch of the first rows, every iteration": {"train"},
    "labels of another draw": {"train"},
    "predict over the wrong axis": {"train"},
}
