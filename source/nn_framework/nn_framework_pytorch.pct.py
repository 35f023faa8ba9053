# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Question 7 (optional): the same ideas in PyTorch
#
# This notebook is optional and carries no points. It needs PyTorch
# (`pip install torch`; torchvision is not needed: the images come from `nn_utils`).
# Without PyTorch every cell below says so and does nothing, so *Run All* still
# finishes.
#
# * 7.1 A multilayer perceptron on Fashion-MNIST.
# * 7.2 A small convolutional network on CIFAR-10, with a file of predictions for the
#   10,000 test images.
# * 7.3 Plots of the training and validation accuracy of both networks, epoch by epoch.
# * 7.4 A short write-up of your design choices.
#
# Each network trains on `TRAIN_SIZE` images of its training set and is judged after
# every epoch on `VALIDATION_SIZE` other images of the training set, never on the test
# set: the test set is used once, at the end. To keep a run within a couple of minutes
# on a laptop CPU, `TRAIN_SIZE` is a subset; raise it if you have time.

# %% grade_id="pytorch-setup" kind="readonly"
import numpy as np
import matplotlib.pyplot as plt

import nn_utils

try:
    import torch
    from torch import nn
except ImportError:
    torch = None
    print("PyTorch is not installed: the cells of this optional notebook will skip. "
          "Install it with `pip install torch` to run them.")
else:
    torch.manual_seed(0)
    print(f"PyTorch {torch.__version__}, running on the CPU")

TRAIN_SIZE, VALIDATION_SIZE = 6000, 1000


def as_tensors(x, y):
    """Images as float32 tensors scaled to [0, 1], and int64 labels."""
    images = torch.as_tensor(np.asarray(x, dtype=np.float32) / 255.0)
    return images, torch.as_tensor(np.asarray(y, dtype=np.int64))


def train_validation_split(x, y, seed=0):
    """Disjoint random subsets of a training set: TRAIN_SIZE images to train on and
    VALIDATION_SIZE to validate on, each as (images, labels) tensors."""
    order = np.random.default_rng(seed).permutation(len(x))
    train, validation = order[:TRAIN_SIZE], order[TRAIN_SIZE:TRAIN_SIZE + VALIDATION_SIZE]
    return as_tensors(x[train], y[train]), as_tensors(x[validation], y[validation])


def predict(model, images, batch_size=500):
    """The predicted class of every image, computed in batches."""
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(images[i:i + batch_size]).argmax(dim=1)
                               for i in range(0, len(images), batch_size)])
    model.train()
    return predicted


def accuracy(model, images, labels):
    return float((predict(model, images) == labels).float().mean())


def fit(model, train, validation, epochs, learning_rate, batch_size=64):
    """Adam on shuffled mini-batches of train = (images, labels); returns the training
    and validation accuracy after every epoch."""
    images, labels = train
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_function = nn.CrossEntropyLoss()
    history = {"train": [], "validation": []}
    for epoch in range(epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images), batch_size):
            batch = order[start:start + batch_size]
            optimiser.zero_grad()
            loss = loss_function(model(images[batch]), labels[batch])
            loss.backward()
            optimiser.step()
        history["train"].append(accuracy(model, images, labels))
        history["validation"].append(accuracy(model, *validation))
        print(f"epoch {epoch + 1}: train {history['train'][-1]:.3f}, "
              f"validation {history['validation'][-1]:.3f}")
    return history


def plot_history(history, title):
    plt.figure(figsize=(5, 3.5))
    for name in ("train", "validation"):
        plt.plot(range(1, len(history[name]) + 1), history[name], label=name)
    plt.xlabel("epoch")
    plt.ylabel("accuracy")
    plt.title(title)
    plt.legend()
    plt.show()


# %% [markdown]
# ## 7.1 An MLP on Fashion-MNIST
#
# Build `mlp`: flatten the 28x28 image, one or two hidden `nn.Linear` layers with ReLU,
# and 10 outputs (the loss applies the softmax).

# %% grade_id="mlp-impl" kind="solution"
if torch is not None:
    (fashion_x, fashion_y), (fashion_x_test, fashion_y_test) = nn_utils.load_fashion_mnist()
    fashion_train, fashion_validation = train_validation_split(fashion_x, fashion_y)
    fashion_test = as_tensors(fashion_x_test, fashion_y_test)
    ### BEGIN SOLUTION
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10))
    ### END SOLUTION
    mlp_history = fit(mlp, fashion_train, fashion_validation, epochs=3, learning_rate=1e-3)
    print(f"MLP test accuracy on all {len(fashion_test[0])} test images: "
          f"{accuracy(mlp, *fashion_test):.3f}")

# %% [markdown]
# ## 7.2 A convolutional network on CIFAR-10
#
# Build `cnn` for images of shape (3, 32, 32) (PyTorch puts channels first): for
# example two blocks of `nn.Conv2d` + ReLU + `nn.MaxPool2d(2)`, then a linear layer to 10
# outputs. The cell writes the predicted class of every one of the 10,000 test images to
# `cifar10_predictions.csv` (columns `id,label`, in the order of the test set).

# %% grade_id="cnn-impl" kind="solution"
if torch is not None:
    cifar_x, cifar_y, cifar_x_test, cifar_y_test = nn_utils.load_cifar10()
    to_channels_first = lambda x: x.permute(0, 3, 1, 2).contiguous()  # noqa: E731
    (train_images, train_labels), (validation_images, validation_labels) = \
        train_validation_split(cifar_x, cifar_y)
    cifar_train = (to_channels_first(train_images), train_labels)
    cifar_validation = (to_channels_first(validation_images), validation_labels)
    test_images, test_labels = as_tensors(cifar_x_test, cifar_y_test)
    cifar_test = (to_channels_first(test_images), test_labels)
    del cifar_x, cifar_x_test, train_images, validation_images, test_images  # memory
    ### BEGIN SOLUTION
    cnn = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
    )
    ### END SOLUTION
    cnn_history = fit(cnn, cifar_train, cifar_validation, epochs=3, learning_rate=2e-3)
    predictions = predict(cnn, cifar_test[0]).numpy()
    np.savetxt("cifar10_predictions.csv", np.column_stack([np.arange(len(predictions)), predictions]),
               fmt="%d", delimiter=",", header="id,label", comments="")
    print(f"wrote {len(predictions)} predictions to cifar10_predictions.csv; "
          f"test accuracy {np.mean(predictions == cifar_test[1].numpy()):.3f}")

# %% [markdown]
# ## 7.3 Accuracy plots
#
# The training and validation accuracy of both networks after every epoch. A training
# accuracy that keeps rising while the validation accuracy stalls means overfitting.

# %% grade_id="pytorch-plots" kind="readonly"
if torch is not None:
    plot_history(mlp_history, f"MLP on {nn_utils.source_of('fashion_mnist').kind} Fashion-MNIST")
    plot_history(cnn_history, f"CNN on {nn_utils.source_of('cifar10').kind} CIFAR-10")

# %% [markdown]
# ## 7.4 Write-up
#
# In a few sentences: what architecture and training settings did you choose, what did
# you try that did not help, and how do the accuracies compare with your numpy network?

# %% [markdown] grade_id="pytorch-writeup" kind="answer" points=0
# The MLP uses one hidden layer of 256 units and Adam at 1e-3; a second hidden layer
# changed little on this subset. The CNN's two convolution blocks beat the MLP on
# CIFAR-10 because the weights are shared across positions; the validation curves show
# that more epochs and data augmentation would help most.
