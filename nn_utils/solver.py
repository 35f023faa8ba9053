"""The Solver that trains a model by minibatch gradient descent (given to students).

The API is cs231n's, so code written for that course runs unchanged:

    solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=100, print_every=100)
    solver.train()
    solver.loss_history, solver.train_acc_history, solver.val_acc_history

``model`` needs ``params`` (a dict of arrays) and ``loss(X, y=None)``: scores when y is
None, else ``(loss, grads)`` with grads keyed like params. ``data`` holds X_train,
y_train, X_val and y_val. After training, ``model.params`` holds the parameters that
scored best on the validation set.
"""

from __future__ import annotations

import numpy as np


def sgd(w, dw, config=None):
    """Plain stochastic gradient descent: ``w - learning_rate * dw``.

    config: {"learning_rate": float}, default 1e-2. Returns ``(next_w, config)``.
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


UPDATE_RULES = {"sgd": sgd}


class Solver:
    """Train ``model`` on ``data``; see the module docstring for the contract."""

    def __init__(self, model, data, update_rule="sgd", optim_config=None, lr_decay=1.0,
                 batch_size=100, num_epochs=10, num_train_samples=1000,
                 num_val_samples=None, print_every=10, verbose=True):
        """
        Args:
            update_rule: a name in UPDATE_RULES or a function ``(w, dw, config) ->
                (next_w, config)``.
            optim_config: settings for the update rule, e.g. {"learning_rate": 1e-3}.
                Each parameter gets its own copy, so rules may keep per-parameter state.
            lr_decay: the learning rate is multiplied by this after every epoch.
            num_train_samples: training examples used to measure training accuracy
                once per epoch (None: all of them).
            num_val_samples: the same for validation (None: all of them).
            print_every: print the loss every this many iterations (when verbose).
        """
        missing = [key for key in ("X_train", "y_train", "X_val", "y_val") if key not in data]
        if missing:
            raise KeyError(f"Solver: data has no {', '.join(missing)}; it needs X_train, "
                           "y_train, X_val and y_val")
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        if isinstance(update_rule, str):
            if update_rule not in UPDATE_RULES:
                raise ValueError(f"Solver: unknown update_rule {update_rule!r}; "
                                 f"known: {sorted(UPDATE_RULES)}")
            update_rule = UPDATE_RULES[update_rule]
        self.update_rule = update_rule
        self.optim_config = dict(optim_config or {})
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.print_every = print_every
        self.verbose = verbose
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {name: dict(self.optim_config) for name in self.model.params}

    def _step(self):
        """One update on a random minibatch; records the minibatch loss."""
        batch = np.random.choice(self.X_train.shape[0], self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch], self.y_train[batch])
        self.loss_history.append(float(loss))
        for name, value in self.model.params.items():
            updated, config = self.update_rule(value, grads[name], self.optim_configs[name])
            self.model.params[name] = updated
            self.optim_configs[name] = config

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Share of ``X`` the model classifies as ``y`` (on a random subset of
        ``num_samples`` when given), predicting ``batch_size`` examples at a time."""
        if num_samples is not None and X.shape[0] > num_samples:
            chosen = np.random.choice(X.shape[0], num_samples)
            X, y = X[chosen], y[chosen]
        predictions = [np.argmax(self.model.loss(X[start:start + batch_size]), axis=1)
                       for start in range(0, X.shape[0], batch_size)]
        return float(np.mean(np.concatenate(predictions) == y))

    def _record_accuracy(self):
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if self.verbose:
            print(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; "
                  f"val_acc: {val_acc:f}")
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = {name: value.copy() for name, value in self.model.params.items()}

    def train(self):
        """Run ``num_epochs`` epochs of updates, then keep the best parameters seen."""
        iterations_per_epoch = max(self.X_train.shape[0] // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for config in self.optim_configs.values():
                    config["learning_rate"] = config.get("learning_rate", 1e-2) * self.lr_decay
            if t == 0 or t == num_iterations - 1 or epoch_end:
                self._record_accuracy()
        if self.best_params:
            self.model.params = self.best_params
