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
# **Points: 29.** Problem 1: (a) meaning 3, (b) graph 2, (c) derivation 3 + code 5.
# Problem 2: (a) graph 1, (b) derivation 3 + code 3, (c) graph 1, (d) derivation 3 +
# code 3, (e) code 2. The parts keep the lettering of the original homework.
#
# **How to write math.** Markdown cells render LaTeX between dollar signs, for example
# `$\nabla_W \mathcal{L} = \dots$`, or `$$ ... $$` for a displayed equation. Show the
# steps, not only the result. **Rules:** the code cells use numpy only
# (`np.linalg.inv` and `np.linalg.solve` are fine); do not edit the locked cells.
#
# **How to hand in a drawing.** Parts 1 (b), 2 (a) and 2 (c) ask for a computational
# graph. Draw it however you like (on paper and photographed, on a tablet, in any drawing
# program), then put the image **inside the answer cell**, so that it travels in the
# `.ipynb` file itself:
#
# * *Jupyter Notebook or JupyterLab:* open the answer cell for editing and paste the image
#   (copy it, then Ctrl+V / Cmd+V) or drag the image file onto the cell. Jupyter stores
#   the picture in the notebook as a cell attachment and writes a line like
#   `![graph.png](attachment:graph.png)` into the cell.
# * *Google Colab:* use the text cell's *insert image* button (or paste); Colab writes the
#   picture into the cell's text as a long `data:image/...` link.
#
# Either way the cell should then contain `attachment:` or `data:image`, and the image
# shows up in the PDF made below and in the notebook your grader opens. **Avoid** a link
# to a file such as `![graph](graph.png)`: the picture is then not in the notebook, and it
# is lost as soon as the notebook is handed in or exported without that file beside it.
# A graph typed as text is fine too: list the nodes with the operation each computes and
# the edges between them, or draw it with characters in a code block.

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
# ### (b) The computational graph [2 points, a drawing]
#
# Draw the computational graph of $\mathcal{L}(W)$: one node per operation (a product,
# a transpose, a difference, the squared norm), each labelled with the value it computes
# (name the intermediate values, e.g. $u$, $a$), and an edge from each value to every
# operation that uses it, from the inputs $W$ and $x$ to $\mathcal{L}$. See *How to hand
# in a drawing* at the top.
#
# *Graded by a person (2):* every operation from the inputs to $\mathcal{L}$, with
# shapes or named intermediate values (1); $W$ entering the graph in both places it is
# used, so that two paths lead from $W$ to $\mathcal{L}$ (1).

# %% [markdown] grade_id="autoencodergraph-answer" kind="answer" points=2
# **Model answer (for graders).** Inputs $W$ $(k \times d)$ and $x$ $(d)$. Nodes, in
# order: $u = W x$ $(k)$, a product fed by $W$ and $x$; $W^T$ $(d \times k)$, a
# transpose fed by $W$; $v = W^T u$ $(d)$, a product fed by $W^T$ and $u$;
# $a = v - x$ $(d)$, a difference fed by $v$ and $x$; $\mathcal{L} = \tfrac12 a^T a$,
# the squared norm fed by $a$. As text:
#
#     W --> [u = W x] <-- x
#     W --> [W^T]
#     [W^T], [u] --> [v = W^T u]
#     [v], x --> [a = v - x] --> [L = 0.5 a^T a]
#
# $W$ has two outgoing edges (into $u$ and into the transpose), so two paths lead from
# $W$ to $\mathcal{L}$ and its gradient is the sum of two terms; $x$ also enters twice but
# is not differentiated. Merging the transpose into the second product ($v = W^T u$ fed
# by $W$ and $u$) is equally right.
#
# **Rubric.** Complete chain of operations with shapes or named intermediates (1);
# $W$ feeding both the encoder product and the decoder (two paths) (1). Separate leaves
# for $W$ and $W^T$ earn the second point only if the graph or the text says that they
# are one variable (so that the gradient through $W^T$ is transposed and added).

# %% [markdown]
# ### (c) The gradient [8 points]
#
# Derive $\nabla_W \mathcal{L}$ by going backwards through your graph. Hint: with
# $a = W^T W x - x$, your graph shows $W$ entering **twice**: in the code $W x$ and in
# the decoder $W^T$. Each path from $W$ to $\mathcal{L}$ contributes a term.
#
# *Graded by a person (3):* each of the two terms derived with correct shapes (2), the
# final sum (1).

# %% [markdown] grade_id="autoencoder-answer" kind="answer" points=3
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
# **Rubric.** Terms (2, one each): the decoder's $(Wx)a^T$ and the encoder's
# $W a x^T$, each $k \times d$ (the decoder's term may come out as $a (Wx)^T$ for
# $W^T$ and must then be transposed). Sum (1). The two paths themselves are credited in
# part (b).

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
# ### (a) The computational graph of $\mathcal{L}_1$ [1 point, a drawing]
#
# Draw the computational graph of $\mathcal{L}_1$ as a function of $x$, from $x$ (and
# the constants $\alpha$, $\beta$, $D$) to $\mathcal{L}_1$, one node per operation,
# labelled with the value it computes. See *How to hand in a drawing* at the top.
#
# *Graded by a person (1):* the whole chain from $x$ to $\mathcal{L}_1$, with $x$
# entering the outer product $x x^T$ as both of its factors.

# %% [markdown] grade_id="logdetgraph-answer" kind="answer" points=1
# **Model answer (for graders).** A chain: $x$ $(N)$ $\to$ $P = x x^T$ $(N \times N)$,
# an outer product with two edges from $x$ (one per factor) $\to$
# $K = \alpha P + \beta^{-1} I$ (scale and shift, with $\alpha$ and $\beta$ as constant
# inputs) $\to$ $s = \log\lvert K \rvert$ (a scalar) $\to$
# $\mathcal{L}_1 = -\tfrac{D}{2}\, s$. As text:
#
#     x ==(both factors)==> [P = x x^T] --> [K = alpha P + I / beta]
#       --> [s = log|K|] --> [L1 = -(D/2) s]
#
# Splitting $K$ into two nodes ($\alpha P$, then $+\beta^{-1} I$) is equally right.
#
# **Rubric.** 1 for the complete chain $x \to x x^T \to K \to \log\lvert K\rvert \to
# \mathcal{L}_1$ with $x$ shown entering the outer product twice (or the node marked as
# $x$ times itself); 0.5 if the chain is right but $x$ enters only once.

# %% [markdown]
# ### (b) The gradient of $\mathcal{L}_1$ [6 points]
#
# *Graded by a person (3):* the differential of the log-determinant (1), $dK$ with both
# terms, combined by symmetry (1), the result (1).

# %% [markdown] grade_id="logdet-answer" kind="answer" points=3
# **Model answer (for graders).**
# $d\mathcal{L}_1 = -\frac{D}{2} \operatorname{tr}(K^{-1} dK)
#   = -\frac{D\alpha}{2} \big( x^T K^{-1} dx + dx^T K^{-1} x \big)
#   = -D\alpha\, x^T K^{-1} dx$
# since $K^{-1}$ is symmetric, so
#
# $$\nabla_x \mathcal{L}_1 = -\alpha D\, K^{-1} x
#   = -\alpha D\, \big(\alpha x x^T + \beta^{-1} I\big)^{-1} x .$$
#
# **Rubric.** $\operatorname{tr}(K^{-1}dK)$ (1); $dK$ with both terms, merged by the
# symmetry of $K^{-1}$ into the factor 2 (1; 0.5 if one term is missing); result (1).

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
# ### (c) The computational graph of $\mathcal{L}_2$ [1 point, a drawing]
#
# Draw the computational graph of $\mathcal{L}_2$ as a function of $x$, from $x$ and $Y$
# (and the constants) to $\mathcal{L}_2$, one node per operation, labelled with the value
# it computes. It shares its first nodes with the graph of (a).
#
# *Graded by a person (1):* the whole chain from $x$ through $K$ and its inverse to the
# trace and $\mathcal{L}_2$, with $Y Y^T$ entering as a second input.

# %% [markdown] grade_id="tracegraph-answer" kind="answer" points=1
# **Model answer (for graders).** $x \to P = x x^T$ (two edges from $x$) $\to$
# $K = \alpha P + \beta^{-1} I$ $\to$ $K^{-1}$ (an inverse) $\to$ $M = K^{-1} S$, a
# product whose second input is $S = Y Y^T$ (from $Y$, a constant as far as $x$ is
# concerned) $\to$ $t = \operatorname{tr}(M)$ $\to$ $\mathcal{L}_2 = -\tfrac12 t$.
# As text:
#
#     x ==(both factors)==> [P = x x^T] --> [K = alpha P + I / beta] --> [K^-1]
#     Y --> [S = Y Y^T]
#     [K^-1], [S] --> [M = K^-1 S] --> [t = tr M] --> [L2 = -(1/2) t]
#
# A single node for $\operatorname{tr}(K^{-1} S)$, or $K^{-1} Y$ followed by a product
# with $Y^T$, is equally right.
#
# **Rubric.** 1 for the complete chain $x \to x x^T \to K \to K^{-1} \to$ product with
# $Y Y^T$ $\to$ trace $\to \mathcal{L}_2$; 0.5 if the inverse or the $Y Y^T$ input is
# missing.

# %% [markdown]
# ### (d) The gradient of $\mathcal{L}_2$ [6 points]
#
# *Graded by a person (3):* the differential of the inverse (1), the trace rearranged
# with the symmetry of $K^{-1} Y Y^T K^{-1}$ used (1), the result (1).

# %% [markdown] grade_id="trace-answer" kind="answer" points=3
# **Model answer (for graders).**
# $d\mathcal{L}_2 = -\frac12 \operatorname{tr}\!\big(d(K^{-1})\, Y Y^T\big)
#   = \frac12 \operatorname{tr}\!\big(K^{-1} dK\, K^{-1} Y Y^T\big)$.
# With $M = K^{-1} Y Y^T K^{-1}$ (symmetric) this is
# $\frac12 \operatorname{tr}(M\, dK) = \frac{\alpha}{2}\big(x^T M dx + dx^T M x\big)
#   = \alpha\, x^T M\, dx$, so
#
# $$\nabla_x \mathcal{L}_2 = \alpha\, K^{-1} Y Y^T K^{-1} x .$$
#
# **Rubric.** $d(K^{-1})$ (1); cyclic trace to $\operatorname{tr}(M\,dK)$ and the
# symmetry of $M$ merging the two terms of $dK$ (1; 0.5 for only one of the two);
# result (1).

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
# ### (e) The whole gradient [2 points]
#
# $\nabla_x (\mathcal{L}_1 + \mathcal{L}_2)$: the sum of your two results.
#
# (Not graded, but worth seeing. Setting the sum to zero gives
# $x = \frac{1}{D} Y Y^T K^{-1} x$, and since $K x = (\alpha \lVert x \rVert^2 +
# \beta^{-1})\, x$ this reads $Y Y^T x = D\,(\alpha \lVert x \rVert^2 + \beta^{-1})\, x$.
# So **every** eigenvector of $Y Y^T$ whose eigenvalue $\lambda$ exceeds $D / \beta$,
# scaled to $\lVert x \rVert^2 = (\lambda / D - \beta^{-1}) / \alpha$, is a stationary
# point, and so is $x = 0$. They are not all maxima: the likelihood is largest at the
# **leading** eigenvector, the one with the largest eigenvalue (either sign); the other
# eigenvectors are saddle points, and $x = 0$ is no maximum either. That is the same
# answer as PCA's first principal direction.)

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
