# Averages the affine layer's weight gradient over the batch (the loss already did), and
# the ReLU overwrites its input array. No proof handed in.

# %% logsumexp-proof
YOUR ANSWER HERE

# %% affine-impl
class Affine:
    def forward(self, inputs, weight, bias):
        self.cache = (inputs, weight, bias)
        return np.dot(inputs, weight) + bias

    def backward(self, d_out):
        inputs, weight, bias = self.cache
        n = inputs.shape[0]
        d_inputs = np.dot(d_out, weight.T)
        d_weight = np.dot(inputs.T, d_out) / n
        d_bias = np.sum(d_out, axis=0)
        return d_inputs, d_weight, d_bias

# %% relu-impl
class ReLU:
    def forward(self, inputs):
        self.cache = inputs.copy()
        inputs[inputs < 0] = 0
        return inputs

    def backward(self, d_out):
        return d_out * (self.cache > 0)
