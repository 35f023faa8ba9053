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
# 1. A multilayer perceptron on Fashion-MNIST, with training and test accuracy per epoch.
# 2. A small convolutional network on CIFAR-10, with a file of test-set predictions.
# 3. A short write-up of your design choices.
#
# To keep a run within a couple of minutes on a laptop CPU, both parts train on a subset
# of the data; raise `TRAIN_SIZE` if you have time.

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

TRAIN_SIZE, TEST_SIZE = 6000, 1000


def as_tensors(x, y, count):
    """The first `count` images as float32 tensors scaled to [0, 1], and int64 labels."""
    images = torch.as_tensor(np.asarray(x[:count], dtype=np.float32) / 255.0)
    return images, torch.as_tensor(np.asarray(y[:count], dtype=np.int64))


def accuracy(model, images, labels, batch_size=500):
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(images[i:i + batch_size]).argmax(dim=1)
                               for i in range(0, len(images), batch_size)])
    model.train()
    return float((predicted == labels).float().mean())


def fit(model, images, labels, test_images, test_labels, epochs, learning_rate, batch_size=64):
    """Adam on shuffled mini-batches; returns the train and test accuracy of every epoch."""
    optimiser = torch.optim.Adam(model.parameters(), lr=learning_rate)
    loss_function = nn.CrossEntropyLoss()
    history = {"train": [], "test": []}
    for epoch in range(epochs):
        order = torch.randperm(len(images))
        for start in range(0, len(images), batch_size):
            batch = order[start:start + batch_size]
            optimiser.zero_grad()
            loss = loss_function(model(images[batch]), labels[batch])
            loss.backward()
            optimiser.step()
        history["train"].append(accuracy(model, images, labels))
        history["test"].append(accuracy(model, test_images, test_labels))
        print(f"epoch {epoch + 1}: train {history['train'][-1]:.3f}, "
              f"test {history['test'][-1]:.3f}")
    return history


def plot_history(history, title):
    plt.figure(figsize=(5, 3.5))
    plt.plot(range(1, len(history["train"]) + 1), history["train"], label="train")
    plt.plot(range(1, len(history["test"]) + 1), history["test"], label="test")
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
    train_images, train_labels = as_tensors(fashion_x, fashion_y, TRAIN_SIZE)
    test_images, test_labels = as_tensors(fashion_x_test, fashion_y_test, TEST_SIZE)
    ### BEGIN SOLUTION
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10))
    ### END SOLUTION
    mlp_history = fit(mlp, train_images, train_labels, test_images, test_labels,
                      epochs=3, learning_rate=1e-3)
    plot_history(mlp_history, f"MLP on {nn_utils.source_of('fashion_mnist').kind} Fashion-MNIST")

# %% [markdown]
# ## 7.2 A convolutional network on CIFAR-10
#
# Build `cnn` for images of shape (3, 32, 32) (PyTorch puts channels first): for
# example two blocks of `nn.Conv2d` + ReLU + `nn.MaxPool2d(2)`, then a linear layer to 10
# outputs. The cell writes your test-set predictions to `cifar10_predictions.csv`.

# %% grade_id="cnn-impl" kind="solution"
if torch is not None:
    cifar_x, cifar_y, cifar_x_test, cifar_y_test = nn_utils.load_cifar10()
    to_channels_first = lambda x: x.permute(0, 3, 1, 2).contiguous()  # noqa: E731
    cifar_images, cifar_labels = as_tensors(cifar_x, cifar_y, TRAIN_SIZE)
    cifar_test_images, cifar_test_labels = as_tensors(cifar_x_test, cifar_y_test, TEST_SIZE)
    cifar_images = to_channels_first(cifar_images)
    cifar_test_images = to_channels_first(cifar_test_images)
    del cifar_x, cifar_x_test  # 1.5 GB of float64 we no longer need
    ### BEGIN SOLUTION
    cnn = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 10),
    )
    ### END SOLUTION
    cnn_history = fit(cnn, cifar_images, cifar_labels, cifar_test_images, cifar_test_labels,
                      epochs=3, learning_rate=2e-3)
    plot_history(cnn_history, f"CNN on {nn_utils.source_of('cifar10').kind} CIFAR-10")
    cnn.eval()
    with torch.no_grad():
        predictions = cnn(cifar_test_images).argmax(dim=1).numpy()
    np.savetxt("cifar10_predictions.csv", np.column_stack([np.arange(len(predictions)), predictions]),
               fmt="%d", delimiter=",", header="id,label", comments="")
    print(f"wrote {len(predictions)} predictions to cifar10_predictions.csv")

# %% [markdown]
# ## 7.3 Write-up
#
# In a few sentences: what architecture and training settings did you choose, what did
# you try that did not help, and how do the accuracies compare with your numpy network?

# %% [markdown] grade_id="pytorch-writeup" kind="answer" points=0
# The MLP uses one hidden layer of 256 units and Adam at 1e-3; a second hidden layer
# changed little on this subset. The CNN's two convolution blocks beat the MLP on
# CIFAR-10 because the weights are shared across positions; more epochs and data
# augmentation would help most.
