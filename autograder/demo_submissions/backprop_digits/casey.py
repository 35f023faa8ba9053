# Layers right, but the loss's backward drops its d_out argument (it only works for
# d_out = 1.0), and the proof skips a justification.

# %% logsumexp-proof
Pull $e^a$ out of every term: $\sum_i e^{x_i} = e^a \sum_i e^{x_i - a}$, then take logs
and use $\log(uv) = \log u + \log v$. The softmax is the same because $e^{-a}$ appears on
top and bottom. Use the max.

# %% crossentropy-impl
class CategoricalCrossEntropy:
    def forward(self, logits, labels):
        z = logits - np.max(logits, axis=1, keepdims=True)
        probs = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
        loss = -np.sum(labels * np.log(probs)) / logits.shape[0]
        self.cache = (probs, labels)
        return float(loss)

    def backward(self, d_out=1.0):
        probs, labels = self.cache
        d_logits = (probs - labels) / labels.shape[0]
        return d_logits, None
