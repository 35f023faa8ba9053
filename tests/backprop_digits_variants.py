"""Student code for backprop_digits: correct alternatives and realistic mutants.

Alternatives are whole cells written in the styles seen in real homework. Mutants are
one-line patches of the reference solution, each a mistake students make, with a pattern
the checker's message must contain.
"""

from dataclasses import dataclass

from autograder.authoring import parse_answers
from autograder.demo import DEMO_SUBMISSIONS


@dataclass(frozen=True)
class Mutant:
    name: str
    grade_id: str  # the solution cell patched
    old: str  # text of the reference solution replaced ...
    new: str  # ... by this
    message: str  # regular expression the failure message must match

    @property
    def task(self) -> str:
        return self.grade_id.split("-", 1)[0]

    def apply(self, reference: dict) -> dict:
        code = reference[self.grade_id]
        assert code.count(self.old) == 1, f"{self.name}: patch target not unique"
        return {self.grade_id: code.replace(self.old, self.new)}


MUTANTS = [
    # Task 1: Affine
    Mutant("bias summed over the features", "affine-impl",
           "d_bias = d_out.sum(axis=0)", "d_bias = d_out.sum(axis=1)",
           r"d_bias has shape .*wrong axis"),
    Mutant("weight gradient averaged again", "affine-impl",
           "d_weight = inputs.T @ d_out", "d_weight = inputs.T @ d_out / inputs.shape[0]",
           r"d_weight is off by a factor of N = \d+ .*average twice"),
    Mutant("weight not transposed", "affine-impl",
           "d_inputs = d_out @ weight.T", "d_inputs = d_out @ weight",
           r"d_inputs = d_out @ weight.T: the weight must be transposed"),
    Mutant("weight gradient transposed", "affine-impl",
           "d_weight = inputs.T @ d_out", "d_weight = d_out.T @ inputs",
           r"d_weight .*transpose"),
    Mutant("bias forgotten", "affine-impl",
           "out = inputs @ weight + bias", "out = inputs @ weight",
           r"Affine.forward: out has wrong values\n.*the bias is missing"),
    Mutant("cache kept from the first call", "affine-impl",
           "self.cache = (inputs, weight, bias)",
           "self.cache = getattr(self, 'cache', None) or (inputs, weight, bias)",
           r"the cache is stale|stale cache"),
    # Task 2: ReLU
    Mutant("inputs zeroed in place", "relu-impl",
           "out = np.maximum(0.0, inputs)", "inputs[inputs < 0] = 0\n        out = inputs",
           r"ReLU.forward: changed its argument `inputs` in place"),
    Mutant("backward ignores d_out", "relu-impl",
           "d_inputs = d_out * (inputs > 0)", "d_inputs = (inputs > 0).astype(float)",
           r"d_inputs ignores d_out"),
    Mutant("mask inverted", "relu-impl",
           "d_inputs = d_out * (inputs > 0)", "d_inputs = d_out * (inputs < 0)",
           r"mask is inverted"),
    Mutant("d_out overwritten", "relu-impl",
           "d_inputs = d_out * (inputs > 0)", "d_out[inputs <= 0] = 0\n        d_inputs = d_out",
           r"ReLU.backward: changed d_out in place"),
    Mutant("cache stuck at the first call", "relu-impl",
           "self.cache = inputs", "self.cache = getattr(self, 'cache', inputs)",
           r"stale cache"),
    Mutant("gradient passed at the kink", "relu-impl",
           "d_inputs = d_out * (inputs > 0)", "d_inputs = d_out * (inputs >= 0)",
           r"where inputs == 0, expected 0 there\n.*not \(inputs >= 0\)"),
    Mutant("gradient passed through unmasked", "relu-impl",
           "d_inputs = d_out * (inputs > 0)", "d_inputs = d_out",
           r"must be zero where inputs <= 0"),
    # Task 3: CategoricalCrossEntropy
    Mutant("backward ignores d_out", "crossentropy-impl",
           "d_logits = d_out * (probs - labels) / probs.shape[0]",
           "d_logits = (probs - labels) / probs.shape[0]",
           r"d_logits ignores d_out"),
    Mutant("gradient not divided by N", "crossentropy-impl",
           "d_logits = d_out * (probs - labels) / probs.shape[0]",
           "d_logits = d_out * (probs - labels)",
           r"1/N of the mean is missing"),
    Mutant("loss summed, not averaged", "crossentropy-impl",
           "loss = float(-np.sum(labels * log_probs) / logits.shape[0])",
           "loss = float(-np.sum(labels * log_probs))",
           r"loss is summed over the batch"),
    Mutant("softmax not shifted: overflows near 1000", "crossentropy-impl",
           "shifted = logits - logits.max(axis=1, keepdims=True)", "shifted = logits",
           r"logits near 1000.*\n.*overflows"),
    Mutant("softmax shifted by the batch's largest logit", "crossentropy-impl",
           "shifted = logits - logits.max(axis=1, keepdims=True)",
           "shifted = logits - logits.max(keepdims=True)",
           r"logits near 1000.*\n.*each row's own maximum"),
    # The first homework's own loss: exact but for a sample whose true class has a
    # probability below the epsilon, which early training produces.
    Mutant("epsilon inside the log caps a sample's loss", "crossentropy-impl",
           "loss = float(-np.sum(labels * log_probs) / logits.shape[0])",
           "loss = float(-np.sum(labels * np.log(probs + 1e-12)) / logits.shape[0])",
           r"100 below its top logit.*\n.*cap each sample's loss"),
    Mutant("gradient with the wrong sign", "crossentropy-impl",
           "d_logits = d_out * (probs - labels) / probs.shape[0]",
           "d_logits = d_out * (labels - probs) / probs.shape[0]",
           r"d_logits has the wrong sign"),
    # Task 4: FeedforwardNeuralNet
    Mutant("one Affine for both layers, stale cache", "feedforward-impl",
           "self.output = Affine()", "self.output = self.hidden",
           r"single Affine instance for both layers"),
    Mutant("gradient ascent", "feedforward-impl",
           "self.params[name] - self.learning_rate * grads[name]",
           "self.params[name] + self.learning_rate * grads[name]",
           r"moved uphill"),
    Mutant("ReLU skipped in backward", "feedforward-impl",
           "self.hidden.backward(self.relu.backward(d_hidden))",
           "self.hidden.backward(d_hidden)",
           r"update of W1 does not follow the gradient"),
    Mutant("predict returns logits", "feedforward-impl",
           "Y_pred = softmax(logits, axis=1)", "Y_pred = logits",
           r"predict returns the logits"),
    Mutant("update lost in a local variable", "feedforward-impl",
           "self.params[name] = self.params[name] - self.learning_rate * grads[name]",
           "updated = self.params[name] - self.learning_rate * grads[name]",
           r"W1 did not change"),
]


# Written in the manner of the first homework seen: operators, explicit asserts on shapes,
# log-probabilities from the shifted logits, separate layer objects and in-place updates.
OPERATOR_STYLE = {
    "affine-impl": '''
class Affine:
    def forward(self, inputs, weight, bias):
        self.cache = (inputs, weight, bias)
        out = inputs @ weight + bias
        assert out.shape == (inputs.shape[0], weight.shape[1])
        return out

    def backward(self, d_out):
        inputs, weight, bias = self.cache
        d_inputs = d_out @ weight.T
        d_weight = inputs.T @ d_out
        d_bias = np.sum(d_out, axis=0)
        assert d_inputs.shape == inputs.shape and d_weight.shape == weight.shape
        assert d_bias.shape == bias.shape
        return d_inputs, d_weight, d_bias
''',
    "relu-impl": '''
class ReLU:
    def forward(self, inputs):
        self.cache = inputs
        out = np.maximum(0, inputs)
        assert out.shape == inputs.shape
        return out

    def backward(self, d_out):
        inputs = self.cache
        d_inputs = d_out * (inputs > 0)
        return d_inputs
''',
    "crossentropy-impl": '''
class CategoricalCrossEntropy:
    def forward(self, logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        total = probs.sum(axis=1, keepdims=True)
        probs /= total
        loss = -(labels * (shifted - np.log(total))).sum() / len(logits)
        self.cache = (probs, labels)
        assert isinstance(loss, float), type(loss)
        return loss

    def backward(self, d_out=1.0):
        probs, labels = self.cache
        d_logits = (probs - labels) / probs.shape[0] * d_out
        return d_logits, None
''',
    "feedforward-impl": '''
class FeedforwardNeuralNet:
    def __init__(self, input_size, hidden_size, output_size, learning_rate=1e-2):
        self.learning_rate = learning_rate
        self.params = {
            "W1": xavier_init([input_size, hidden_size]),
            "b1": np.zeros([hidden_size]),
            "W2": xavier_init([hidden_size, output_size]),
            "b2": np.zeros([output_size]),
        }
        self.affine1 = Affine()
        self.relu = ReLU()
        self.affine2 = Affine()
        self.loss_fn = CategoricalCrossEntropy()

    def predict(self, X):
        h = self.relu.forward(self.affine1.forward(X, self.params["W1"], self.params["b1"]))
        out = self.affine2.forward(h, self.params["W2"], self.params["b2"])
        Y_pred = np.exp(out - np.max(out, axis=1, keepdims=True))
        Y_pred /= np.sum(Y_pred, axis=1, keepdims=True)
        return Y_pred

    def step(self, X, Y):
        h = self.relu.forward(self.affine1.forward(X, self.params["W1"], self.params["b1"]))
        scores = self.affine2.forward(h, self.params["W2"], self.params["b2"])
        loss = self.loss_fn.forward(scores, Y)
        g, _ = self.loss_fn.backward()
        g, g_W2, g_b2 = self.affine2.backward(g)
        _, g_W1, g_b1 = self.affine1.backward(self.relu.backward(g))
        for name, grad in (("W1", g_W1), ("b1", g_b1), ("W2", g_W2), ("b2", g_b2)):
            self.params[name] -= self.learning_rate * grad  # in place
        return loss
''',
}

# In the manner of the second homework seen (np.dot, a mask filled by indexing, one Affine
# object re-run for both layers): a demo submission, so nbgrader grades it for real too.
DOT_STYLE_SHARED_AFFINE = parse_answers(
    (DEMO_SUBMISSIONS / "backprop_digits" / "finley.cells").read_text())

# A third correct style: einsum, np.where, scipy's logsumexp, and a list of layers.
EINSUM_STYLE = {
    "affine-impl": '''
class Affine:
    def forward(self, inputs, weight, bias):
        self.cache = (inputs, weight, bias)
        return np.einsum("nd,dh->nh", inputs, weight) + bias[None, :]

    def backward(self, d_out):
        inputs, weight, bias = self.cache
        return (np.einsum("nh,dh->nd", d_out, weight),
                np.einsum("nd,nh->dh", inputs, d_out),
                d_out.sum(0))
''',
    "relu-impl": '''
class ReLU:
    def forward(self, inputs):
        self.cache = inputs > 0
        return np.where(self.cache, inputs, 0.0)

    def backward(self, d_out):
        return np.where(self.cache, d_out, 0.0)
''',
    "crossentropy-impl": '''
from scipy.special import logsumexp

class CategoricalCrossEntropy:
    def forward(self, logits, labels):
        log_probs = logits - logsumexp(logits, axis=1, keepdims=True)
        self.cache = (np.exp(log_probs), labels)
        return -float(np.mean(np.einsum("nk,nk->n", labels, log_probs)))

    def backward(self, d_out=1.0):
        probs, labels = self.cache
        return (probs - labels) * (d_out / len(probs)), None
''',
    "feedforward-impl": '''
class FeedforwardNeuralNet:
    def __init__(self, input_size, hidden_size, output_size, learning_rate=1e-2):
        self.learning_rate = learning_rate
        self.params = {
            "W1": xavier_init([input_size, hidden_size]),
            "b1": np.zeros([hidden_size]),
            "W2": xavier_init([hidden_size, output_size]),
            "b2": np.zeros([output_size]),
        }
        self.layers = [(Affine(), "1"), (ReLU(), None), (Affine(), "2")]
        self.loss = CategoricalCrossEntropy()

    def _forward(self, X):
        for layer, k in self.layers:
            X = layer.forward(X) if k is None else layer.forward(
                X, self.params["W" + k], self.params["b" + k])
        return X

    def predict(self, X):
        return softmax(self._forward(X), axis=1)

    def step(self, X, Y):
        loss = self.loss.forward(self._forward(X), Y)
        grad, _ = self.loss.backward(1.0)
        updates = {}
        for layer, k in reversed(self.layers):
            if k is None:
                grad = layer.backward(grad)
            else:
                grad, updates["W" + k], updates["b" + k] = layer.backward(grad)
        for name, g in updates.items():
            self.params[name] = self.params[name] - self.learning_rate * g
        return loss
''',
}

ALTERNATIVES = {
    "operator style": OPERATOR_STYLE,
    "np.dot style, one shared Affine re-run": DOT_STYLE_SHARED_AFFINE,
    "einsum style": EINSUM_STYLE,
}
