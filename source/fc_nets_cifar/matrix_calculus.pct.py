# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Matrix calculus
#
# Two derivations on paper, each checked by code: after deriving a gradient, type your
# result into a small numpy function. An autograded cell compares the function with a
# numerical gradient of the loss, so a slip in the derivation shows up at once (a
# missing term, a factor 2, a transpose), while a person grades the written steps.
#
# **Points: 29.** Problem 1: meaning 3, derivation 5, code 5. Problem 2: derivations
# 4 + 4, code 3 + 3 + 2.
#
# **How to write math.** Markdown cells render LaTeX between dollar signs, for example
# `$\nabla_W \mathcal{L} = \dots$`, or `$$ ... $$` for a displayed equation. Show the
# steps, not only the result. **Rules:** the code cells use numpy only
# (`np.linalg.inv` and `np.linalg.solve` are fine); do not edit the locked cells.

# %% grade_id="setup" kind="readonly"
import numpy as np

import nn_utils

# %% [markdown]
# ## Problem 1: a linear autoencoder
#
# An autoencoder compresses $x \in \mathbb{R}^{d}$ into a code $W x \in \mathbb{R}^{k}$
# with $k < d$, and decodes the code with the transposed weights, $W^T W x$. It is
# trained to reconstruct its input:
#
# $$\mathcal{L}(W) = \tfrac{1}{2} \lVert W^T W x - x \rVert^2, \qquad
#   W \in \mathbb{R}^{k \times d}.$$
#
# ### (a) What the loss asks for [3 points]
#
# In a few sentences: what does minimising $\mathcal{L}$ over a data set make $W$ learn,
# and what does it have to do with a familiar linear method?
#
# *Graded by a person:* reconstruction through a $k$-dimensional bottleneck (1), keeping
# the directions that carry most of the data's variation (1), the link to PCA / the
# top-$k$ subspace (1).

# %% [markdown] grade_id="meaning-answer" kind="answer" points=3
# **Model answer (for graders).** The loss is the squared error of reconstructing $x$
# after squeezing it through $k < d$ numbers, so $W$ must learn a $k$-dimensional code
# that loses as little of $x$ as possible; in general some information is lost, and
# training keeps what matters most for the squared error. With linear maps the best
# reconstruction projects $x$ onto a $k$-dimensional subspace, and over a data set the
# optimum spans the same subspace as the top $k$ principal components: a linear
# autoencoder learns PCA (its rows span that subspace, not necessarily the components
# themselves).
#
# **Rubric.** Bottleneck/reconstruction (1); most of the variance kept (1); PCA or
# SVD subspace (1).

# %% [markdown]
# ### (b) The gradient [10 points]
#
# Derive $\nabla_W \mathcal{L}$. Hint: write $a = W^T W x - x$ and notice that $W$
# appears **twice**: in the code $W x$ and in the decoder $W^T$. Each appearance
# contributes a term.
#
# *Graded by a person (5):* the two paths through $W$ identified (2), each term derived
# with correct shapes (2), the final sum (1).

# %% [markdown] grade_id="autoencoder-answer" kind="answer" points=5
# **Model answer (for graders).** With $u = W x$ and $a = W^T u - x$,
# $\mathcal{L} = \tfrac12 a^T a$ and $d\mathcal{L} = a^T\, da$, where
# $da = dW^T\, u + W^T\, dW\, x$. Hence
#
# $$d\mathcal{L} = a^T dW^T u + a^T W^T dW x
#   = \operatorname{tr}\!\big(u\, a^T dW^T\big) + \operatorname{tr}\!\big(x\, a^T W^T dW\big),$$
#
# so, reading off $d\mathcal{L} = \operatorname{tr}(G^T dW)$,
#
# $$\nabla_W \mathcal{L} = (W x)\,(W^T W x - x)^T + W\,(W^T W x - x)\, x^T
#   \;\in\; \mathbb{R}^{k \times d}.$$
#
# **Rubric.** Two paths (2): decoder $W^T$ and encoder $W$. Terms (2): $(Wx)a^T$ and
# $W a x^T$, each $k \times d$. Sum (1).

# %% [markdown]
# Now type your result in. `W` has shape $(k, d)$, `x` shape $(d,)$; return an array of
# shape $(k, d)$ (`np.outer(u, v)` is $u v^T$ for vectors).

# %% grade_id="autoencoder-code" kind="solution"
def grad_autoencoder(W, x):
    """The gradient of 0.5 * ||W^T W x - x||^2 with respect to W, shape (k, d)."""
    ### BEGIN SOLUTION
    a = W.T @ (W @ x) - x
    return np.outer(W @ x, a) + W @ np.outer(a, x)
    ### END SOLUTION


# %% grade_id="autoencoder-check" kind="test" points=3
nn_utils.check_grad_autoencoder(grad_autoencoder)

# %% grade_id="autoencoder-hidden" kind="test" points=2
# Hidden tests for grad_autoencoder run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_grad_autoencoder(grad_autoencoder, seed=301)
### END HIDDEN TESTS

# %% [markdown]
# ## Problem 2: a Gaussian-process latent variable model
#
# Each of $N$ examples has an observation $y_n \in \mathbb{R}^{D}$ (the rows of
# $Y \in \mathbb{R}^{N \times D}$) and a single latent coordinate $x_n$, collected in
# $x \in \mathbb{R}^{N}$. The model's covariance across examples is
#
# $$K = \alpha\, x x^T + \beta^{-1} I \quad (N \times N,\ \alpha, \beta > 0),$$
#
# and the log-likelihood, up to a constant, is the sum of two terms:
#
# $$\mathcal{L}_1 = -\frac{D}{2} \log \lvert K \rvert, \qquad
#   \mathcal{L}_2 = -\frac{1}{2} \operatorname{tr}\!\big(K^{-1} Y Y^T\big).$$
#
# Useful facts: $d \log\lvert K\rvert = \operatorname{tr}(K^{-1} dK)$,
# $d(K^{-1}) = -K^{-1}\, dK\, K^{-1}$, and here $dK = \alpha\,(dx\, x^T + x\, dx^T)$.
#
# ### (a) The gradient of $\mathcal{L}_1$ [7 points]
#
# *Graded by a person (4):* the differential of the log-determinant (1), $dK$ with both
# terms (1), the symmetric terms combined (1), the result (1).

# %% [markdown] grade_id="logdet-answer" kind="answer" points=4
# **Model answer (for graders).**
# $d\mathcal{L}_1 = -\frac{D}{2} \operatorname{tr}(K^{-1} dK)
#   = -\frac{D\alpha}{2} \big( x^T K^{-1} dx + dx^T K^{-1} x \big)
#   = -D\alpha\, x^T K^{-1} dx$
# since $K^{-1}$ is symmetric, so
#
# $$\nabla_x \mathcal{L}_1 = -\alpha D\, K^{-1} x
#   = -\alpha D\, \big(\alpha x x^T + \beta^{-1} I\big)^{-1} x .$$
#
# **Rubric.** $\operatorname{tr}(K^{-1}dK)$ (1); $dK$ with both terms (1); symmetry used
# to merge them, giving the factor 2 (1); result (1).

# %% [markdown]
# Type it in: `x` has shape $(N,)$, `Y` shape $(N, D)$; return shape $(N,)$.

# %% grade_id="logdet-code" kind="solution"
def grad_gplvm_logdet(x, Y, alpha, beta):
    """The gradient of -(D/2) log|K| with respect to x, shape (N,)."""
    ### BEGIN SOLUTION
    K = alpha * np.outer(x, x) + np.eye(len(x)) / beta
    return -alpha * Y.shape[1] * np.linalg.solve(K, x)
    ### END SOLUTION


# %% grade_id="logdet-check" kind="test" points=3
nn_utils.check_grad_gplvm_logdet(grad_gplvm_logdet)
# Hidden tests run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_grad_gplvm_logdet(grad_gplvm_logdet, seed=303)
### END HIDDEN TESTS

# %% [markdown]
# ### (b) The gradient of $\mathcal{L}_2$ [7 points]
#
# *Graded by a person (4):* the differential of the inverse (1), the trace rearranged
# (1), symmetry used (1), the result (1).

# %% [markdown] grade_id="trace-answer" kind="answer" points=4
# **Model answer (for graders).**
# $d\mathcal{L}_2 = -\frac12 \operatorname{tr}\!\big(d(K^{-1})\, Y Y^T\big)
#   = \frac12 \operatorname{tr}\!\big(K^{-1} dK\, K^{-1} Y Y^T\big)$.
# With $M = K^{-1} Y Y^T K^{-1}$ (symmetric) this is
# $\frac12 \operatorname{tr}(M\, dK) = \frac{\alpha}{2}\big(x^T M dx + dx^T M x\big)
#   = \alpha\, x^T M\, dx$, so
#
# $$\nabla_x \mathcal{L}_2 = \alpha\, K^{-1} Y Y^T K^{-1} x .$$
#
# **Rubric.** $d(K^{-1})$ (1); cyclic trace to $\operatorname{tr}(M\,dK)$ (1); symmetry
# of $M$ (1); result (1).

# %% grade_id="trace-code" kind="solution"
def grad_gplvm_trace(x, Y, alpha, beta):
    """The gradient of -(1/2) tr(K^-1 Y Y^T) with respect to x, shape (N,)."""
    ### BEGIN SOLUTION
    K = alpha * np.outer(x, x) + np.eye(len(x)) / beta
    K_inv_Y = np.linalg.solve(K, Y)
    return alpha * K_inv_Y @ (K_inv_Y.T @ x)
    ### END SOLUTION


# %% grade_id="trace-check" kind="test" points=3
nn_utils.check_grad_gplvm_trace(grad_gplvm_trace)
# Hidden tests run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_grad_gplvm_trace(grad_gplvm_trace, seed=304)
### END HIDDEN TESTS

# %% [markdown]
# ### (c) The whole gradient [2 points]
#
# $\nabla_x (\mathcal{L}_1 + \mathcal{L}_2)$: the sum of your two results. (Setting it to
# zero gives the fixed point $x = \frac{1}{D} Y Y^T K^{-1} x$, which ties the latent
# coordinates to the leading eigenvector of $Y Y^T$, as in PCA.)

# %% grade_id="gplvm-code" kind="solution"
def grad_gplvm(x, Y, alpha, beta):
    """The gradient of -(D/2) log|K| - (1/2) tr(K^-1 Y Y^T) with respect to x, shape (N,)."""
    ### BEGIN SOLUTION
    return grad_gplvm_logdet(x, Y, alpha, beta) + grad_gplvm_trace(x, Y, alpha, beta)
    ### END SOLUTION


# %% grade_id="gplvm-check" kind="test" points=2
nn_utils.check_grad_gplvm(grad_gplvm)
# Hidden tests run here when your notebook is graded.
### BEGIN HIDDEN TESTS
nn_utils.check_grad_gplvm(grad_gplvm, seed=302)
### END HIDDEN TESTS

# %% [markdown]
# ## Submitting
#
# 1. *Kernel -> Restart & Run All*. In a terminal in this folder,
#    `python -m nn_utils.self_check matrix_calculus.ipynb` does the same in a fresh kernel and lists
#    every visible check (it exits with an error status if one fails).
# 2. Make a PDF, offline, with the equations rendered and the plots in it:
#    `python -m nn_utils.export_pdf matrix_calculus.ipynb --name "Your Name"`.
# 3. Hand in the PDF and the `.ipynb` file, as your course asks.
