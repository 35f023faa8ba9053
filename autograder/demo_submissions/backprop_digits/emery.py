# One Affine object serves both layers of the network, so the first layer's backward
# reads the second layer's cache; and the softmax in the loss is not shifted, so it
# overflows for large logits.

# %% crossentropy-impl
class CategoricalCrossEntropy:
    def forward(self, logits, labels):
        probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        self.cache = (probs, labels)
        return float(-np.mean(np.sum(labels * np.log(probs), axis=1)))

    def backward(self, d_out=1.0):
        probs, labels = self.cache
        return d_out * (probs - labels) / probs.shape[0], None

# %% feedforward-impl
class FeedforwardNeuralNet:
    def __init__(self, input_size, hidden_size, output_size, learning_rate=1e-2):
        self.learning_rate = learning_rate
        self.params = {
            "W1": xavier_init([input_size, hidden_size]),
            "b1": np.zeros([hidden_size]),
            "W2": xavier_init([hidden_size, output_size]),
            "b2": np.zeros([output_size]),
        }
        self.affine = Affine()
        self.relu = ReLU()
        self.cross_entropy = CategoricalCrossEntropy()

    def predict(self, X):
        h = self.relu.forward(self.affine.forward(X, self.params["W1"], self.params["b1"]))
        logits = self.affine.forward(h, self.params["W2"], self.params["b2"])
        return softmax(logits, axis=1)

    def step(self, X, Y):
        h = self.relu.forward(self.affine.forward(X, self.params["W1"], self.params["b1"]))
        logits = self.affine.forward(h, self.params["W2"], self.params["b2"])
        loss = self.cross_entropy.forward(logits, Y)
        grads = {}
        d_logits, _ = self.cross_entropy.backward()
        d_h, grads["W2"], grads["b2"] = self.affine.backward(d_logits)
        _, grads["W1"], grads["b1"] = self.affine.backward(self.relu.backward(d_h))
        for p in self.params:
            self.params[p] = self.params[p] - self.learning_rate * grads[p]
        return loss
