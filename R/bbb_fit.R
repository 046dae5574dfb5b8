#' Fit a Bayesian neural network by Bayes by Backprop
#'
#' Trains a multilayer perceptron whose weights have a factorised Gaussian
#' variational posterior \eqn{q(w | \mu, \rho)}, \eqn{\sigma =
#' \log(1 + e^\rho)}{sigma = log(1 + exp(rho))}, by minimising the negative
#' evidence lower bound with the analytic reparameterisation gradients of
#' Blundell et al. (2015). The forward pass, the gradients and the optimiser
#' run in C.
#'
#' @section The objective and its KL scaling:
#' An epoch splits the training rows into \eqn{M} minibatches. Minibatch
#' \eqn{i} contributes
#' \deqn{F_i = \frac{1}{S}\sum_{s=1}^S \left[k_i \left(\log q(w_s) -
#'   \log P(w_s)\right) - \log p(D_i | w_s)\right],}{F_i = (1/S) sum_s
#'   [k_i (log q(w_s) - log P(w_s)) - log p(D_i | w_s)],}
#' with \eqn{S} = `n_samples` weight draws and KL weight
#' \eqn{k_i = B_i/n}, the share of the \eqn{n} training rows in the
#' minibatch (`kl_weighting = "uniform"`; \eqn{1/M} when the minibatches
#' are of one size; a short last minibatch gets a small share) or \eqn{k_i = 2^{M-i}/(2^M - 1)}
#' (`"blundell"`). Both weightings sum to one over an epoch, so
#' \eqn{\sum_i F_i} is an unbiased estimate of the negative ELBO of the
#' whole training set: the KL term is counted once per epoch, the data term
#' once per observation. The optimiser steps on \eqn{F_i / B_i}
#' (per-example scale, \eqn{B_i} the minibatch's rows) so that `lr` does not depend on the size of the data. The trace
#' reports, per epoch, `nll` (the data term, summed over the epoch's
#' minibatches), `kl` (the KL term of the whole network, taken at the
#' epoch's last minibatch) and `elbo = -(nll + kl)`. With the gaussian prior
#' the KL term is exact (closed form); with the mixture prior it is the
#' Monte Carlo estimate \eqn{\log q(w) - \log P(w)}{log q(w) - log P(w)} of
#' that step's weight draws (computing it costs two logarithms per weight,
#' so it is not done at every step). With empirical Bayes
#' ([prior_gaussian()] without a `scale`) the KL term is taken at the
#' learned prior scales and `kl` also holds \eqn{-\log p(s^2)}{-log p(s^2)}
#' of their hyperprior, so that `elbo` is the bound on
#' \eqn{\log p(D, s^2)}{log p(D, s^2)} that training maximises.
#'
#' @section Training to convergence:
#' With `epochs = NULL` (the default) training runs in phases, each until
#' the ELBO stops improving: the mean ELBO of the last window of epochs
#' (1000 optimiser steps, at least 10 epochs) is no longer above that of
#' the window before by more than twice its standard error. First the
#' posterior means fit the data with the posterior sds held at their start
#' (`rho_init`); then everything is learned; last, the same at a tenth of
#' `lr`. With empirical Bayes a phase with the posterior sds learned but
#' the prior scales still held at their hyperprior's mode comes second.
#' Each phase starts where the last one ended, and the objective of the
#' last phases is the ELBO itself: the phases only guide the optimiser
#' past the poor optima (the posterior sds widening before the means have
#' found the data, the noise then absorbing the misfit, or weights
#' collapsing onto their prior) that a start with everything free runs
#' into on small data. If `max_epochs` is reached first, the fit is
#' returned with a warning; [bbb_continue()] trains it further (its
#' `epochs = NULL` runs the last two phases again). A number for `epochs`
#' trains exactly that many epochs at `lr`, in one phase.
#'
#' @param x A numeric matrix or a data frame of predictors (factors become
#'   dummy columns), or a formula for the formula method.
#' @param y The response: numeric (gaussian), non-negative integer
#'   (poisson), 0/1, logical or 2-level factor (binomial), factor with 3 or
#'   more levels (multinomial).
#' @param formula A model formula such as `y ~ .`.
#' @param data,subset,na.action As in [stats::lm()].
#' @param hidden Widths of the hidden layers; `integer(0)` gives a Bayesian
#'   generalised linear model.
#' @param activation Hidden-layer activation: `"relu"`, `"tanh"` or
#'   `"sigmoid"`.
#' @param family `"auto"` (chosen from `y`), `"gaussian"`, `"binomial"`,
#'   `"multinomial"` or `"poisson"`. Under `"auto"`, logical and factor
#'   responses and numbers that are all 0 or 1 are binomial (multinomial
#'   for factors of 3 or more levels), other non-negative integer (storage)
#'   responses poisson, other numeric responses gaussian.
#' @param prior [prior_mixture()] (default: the paper's scale mixture, on
#'   the standardized data), [prior_gaussian()] (its scales learned by
#'   empirical Bayes) or `prior_gaussian(scale)` (fixed). The default was
#'   chosen by the study of `bench/uci_study.sh` (see `bench/README.md`):
#'   empirical Bayes did a little better on some regression sets (clearly
#'   on one), worse on others and on the paper's regression curve, and far
#'   worse on small classification sets, where its learned scales let the
#'   network collapse onto the prior; the mixture did well on all of them.
#' @param epochs Passes over the training data: `NULL` (default) trains to
#'   convergence (see the section), a number exactly that many epochs.
#' @param max_epochs With `epochs = NULL`, the most epochs to train: by
#'   default enough for 200,000 optimiser steps (at least 4 windows of the
#'   convergence rule).
#' @param batch_size Rows per minibatch; `NULL` means `min(n, 128)`.
#' @param n_samples Monte Carlo weight samples per minibatch.
#' @param kl_weighting `"uniform"` or `"blundell"` (see the section above).
#' @param optimizer `"adam"` or `"sgd"` (with `momentum`).
#' @param lr Learning rate (of Adam by default; 0.003 did better than 0.01
#'   across the sets of `bench/uci.R`).
#' @param momentum Momentum of `"sgd"`.
#' @param rho_init Initial \eqn{\rho} of every weight: the posterior sd
#'   starts at `log1p(exp(rho_init))` (0.018 for the default -4).
#' @param noise_sd For the gaussian family: the noise standard deviation on
#'   the scale of `y`, or `NULL` (default) to learn it, starting from the
#'   residual sd of a least-squares fit on the training rows (bounded to
#'   \[0.05, 1\] times the sd of `y`).
#' @param heteroscedastic For the gaussian family: learn a noise standard
#'   deviation per row, as a second output of the network (`log_sd`, the
#'   log of the noise sd on the standardized scale of `y`), instead of one
#'   for all rows. [predict.bbb_fit()] then draws each row's noise from its
#'   own sd.
#' @param standardize Centre and scale the columns of `x` (and a gaussian
#'   `y`) before training. The transformation is stored and undone by
#'   [predict()].
#' @param validation Fraction of rows held out to report the held-out
#'   negative log predictive density per epoch (column `val_nlpd` of the
#'   trace). 0 (default) holds out nothing.
#' @param estimator `"weight"` samples the weights (any prior); `"local"`
#'   samples the pre-activations (local reparameterisation, Kingma, Salimans
#'   and Welling 2015; needs [prior_gaussian()]): lower-variance gradients
#'   for about twice the arithmetic.
#' @param precision `"double"` (default) or `"single"`: the arithmetic of
#'   training. Single precision halves the memory traffic and runs the
#'   matrix products and the pass over the parameters on vectors of twice
#'   as many floats: about 1.5 times as fast for large layers and small
#'   ones alike. The parameters are still stored and returned as doubles.
#'   (Both precisions draw their standard normals in single precision.)
#'   The products run on the engine's own kernels in either precision, so
#'   single precision works with any BLAS, R's internal one (which has no
#'   `sgemm`) too; `options(bbb.gemm = "blas")` hands them to the BLAS
#'   instead (in single precision only if it has `sgemm`).
#'   Prediction and [bbb_gradient()] always use double precision. On
#'   minibatches of a large design (a million values or more), single
#'   precision also keeps a row-major single-precision copy of the
#'   standardized design while it trains (4 bytes a value): a minibatch's
#'   random rows are a cache miss per value in R's column-major matrix.
#'   `options(bbb.row_copy = FALSE)` saves that memory at some speed.
#' @param threads Threads for training (the passes over the parameters,
#'   the large matrix products and the gathering of wide minibatches) and,
#'   as the default of `threads` in [predict.bbb_fit()], prediction (groups
#'   of draws). More threads than free cores slow
#'   training down: the threads wait for each other several times a step.
#'   While bbb trains, an OpenBLAS BLAS is kept single-threaded (its own
#'   threads would compete for the same cores); its setting is restored
#'   afterwards. The fit does
#'   not depend on `threads`.
#' @param on_nonfinite What to do if the loss becomes non-finite: `"error"`
#'   stops with an error, `"restore"` returns the fit as it was at the start
#'   of the failing epoch, with a warning.
#' @param keep_data Keep the (standardized) training data in the fit, for
#'   [fitted()], [residuals()] and [bbb_continue()] without data.
#' @param verbose Show a progress bar with the ELBO.
#' @param ... Passed on to the default method.
#' @return An object of class `bbb_fit`: a list holding among others
#'   `params` (one list per layer with matrices `w_mu`, `w_rho` and vectors
#'   `b_mu`, `b_rho`), `family`, `prior`, `trace` (a data frame by epoch),
#'   `seed` (the seed of the draws of [predict.bbb_fit()] and the other
#'   methods, drawn from R's random number generator after training) and
#'   the preprocessing needed by [predict()]. [stats::update()] refits it
#'   with changed arguments; [bbb_continue()] trains it further.
#' @references Blundell C, Cornebise J, Kavukcuoglu K, Wierstra D (2015).
#'   Weight uncertainty in neural networks. ICML. arXiv:1505.05424.
#' @examples
#' set.seed(1)
#' x <- matrix(runif(200, -1, 1))
#' y <- sin(3 * x[, 1]) + rnorm(200, sd = 0.1)
#' fit <- bbb_fit(x, y, hidden = 16, verbose = FALSE)
#' fit  # the noise sd is 0.1
#' head(predict(fit, x, interval = "prediction"))
#'
#' fit2 <- bbb_fit(Species ~ ., data = iris, hidden = 8, verbose = FALSE)
#' table(predict(fit2, iris, type = "class"), iris$Species)
#' @export
bbb_fit <- function(x, ...) UseMethod("bbb_fit")

#' @rdname bbb_fit
#' @export
bbb_fit.formula <- function(formula, data, subset, na.action, ...) {
  mf <- match.call(expand.dots = FALSE)
  keep <- match(c("formula", "data", "subset", "na.action"), names(mf), 0L)
  mf <- mf[c(1L, keep)]
  mf$drop.unused.levels <- TRUE
  mf[[1L]] <- quote(stats::model.frame)
  mf <- eval(mf, parent.frame())
  terms <- attr(mf, "terms")
  y <- stats::model.response(mf)
  if (is.null(y)) abort("`formula` must have a response on its left side.")
  if (is.character(y)) y <- factor(y)
  x <- stats::model.matrix(terms, mf)
  x <- x[, colnames(x) != "(Intercept)", drop = FALSE]
  attr(x, "assign") <- attr(x, "contrasts") <- NULL
  fit <- bbb_fit.default(x, y, ...)
  fit$prep$terms <- stats::delete.response(terms)
  fit$prep$xlevels <- stats::.getXlevels(terms, mf)
  fit$call <- generic_call(match.call())
  # for update(fit, . ~ . - x1): the formula with `.` expanded
  fit$formula <- stats::formula(terms)
  fit
}

#' @rdname bbb_fit
#' @export
bbb_fit.default <- function(x, y, hidden = 32L, activation = "relu",
                            family = "auto", prior = prior_mixture(),
                            epochs = NULL, batch_size = NULL, n_samples = 1L,
                            kl_weighting = "uniform", optimizer = "adam",
                            lr = 0.003, momentum = 0.9, rho_init = -4,
                            noise_sd = NULL, heteroscedastic = FALSE,
                            standardize = TRUE, validation = 0,
                            estimator = "weight", precision = "double",
                            threads = 1L, max_epochs = NULL,
                            on_nonfinite = "error",
                            keep_data = TRUE, verbose = interactive(), ...) {
  check_no_dots(..., fn = "bbb_fit()")
  if (missing(y)) abort("`y` is missing: give the response.")
  hidden <- check_hidden(hidden)
  check_choice(activation, activations, "activation")
  check_choice(family, c("auto", families), "family")
  check_prior(prior)
  check_count(n_samples, "n_samples", max = 1e6)
  check_choice(kl_weighting, c("uniform", "blundell"), "kl_weighting")
  check_choice(optimizer, optimizers, "optimizer")
  check_number(lr, "lr", lower = 0, open = TRUE)
  check_number(momentum, "momentum", lower = 0, upper = 1)
  check_number(rho_init, "rho_init", lower = -30, upper = 10)
  check_flag(heteroscedastic, "heteroscedastic")
  check_flag(standardize, "standardize")
  check_number(validation, "validation", lower = 0, upper = 0.9)
  check_choice(estimator, estimators, "estimator")
  check_choice(precision, c("double", "single"), "precision")
  check_count(threads, "threads", max = 1024)
  check_choice(on_nonfinite, c("error", "restore"), "on_nonfinite")
  check_flag(keep_data, "keep_data")
  check_flag(verbose, "verbose")
  if (!is.null(epochs)) check_count(epochs, "epochs")
  if (!is.null(max_epochs)) check_count(max_epochs, "max_epochs")
  if (!is.null(batch_size)) check_count(batch_size, "batch_size")
  if (!is.null(noise_sd)) {
    check_number(noise_sd, "noise_sd", lower = 0, open = TRUE)
    if (heteroscedastic) {
      abort("`noise_sd` fixes the noise, `heteroscedastic = TRUE` learns ",
            "it per row: give one or the other.")
    }
  }

  inputs <- prepare_inputs(x, standardize)
  n <- nrow(inputs$x)
  if (NROW(y) != n) {
    abort(sprintf("`x` has %d rows but `y` has %d elements; they must match.",
                  n, NROW(y)))
  }
  if (is.matrix(y) || is.data.frame(y)) {
    abort("`y` must be a vector or a factor, not a matrix or data frame.")
  }
  auto <- family == "auto"
  if (auto) family <- guess_family(y)
  # checked after the guess, so that "auto" cannot drop them silently
  if (family != "gaussian" && (!is.null(noise_sd) || heteroscedastic)) {
    abort(sprintf(paste0("`%s` is for the gaussian family only; leave it %s ",
                         "for the %s family%s."),
                  if (heteroscedastic) "heteroscedastic" else "noise_sd",
                  if (heteroscedastic) "FALSE" else "NULL", family,
                  if (auto) " (chosen by `family = \"auto\"` from `y`)" else
                    ""))
  }
  if (estimator == "local" && prior$type != "gaussian") {
    abort("`estimator = \"local\"` needs `prior = prior_gaussian()` ",
          "(its KL term is taken in closed form).")
  }
  if (precision == "single") check_prior_single(prior)
  resp <- encode_response(y, family)
  k <- if (family == "multinomial") length(resp$levels) else
    if (heteroscedastic) 2L else 1L

  fit <- structure(list(
    call = generic_call(match.call()),
    family = family, activation = activation, hidden = hidden,
    width = c(ncol(inputs$x), hidden, k), prior = prior,
    estimator = estimator, heteroscedastic = heteroscedastic,
    prep = inputs$prep, levels = resp$levels,
    y_center = 0, y_scale = 1, n_obs = n
  ), class = "bbb_fit")
  yy <- resp$y
  if (family == "gaussian" && standardize) {
    fit$y_center <- mean(yy)
    fit$y_scale <- stats::sd(yy)
    if (!(fit$y_scale > 0)) abort("`y` is constant; there is nothing to fit.")
    yy <- (yy - fit$y_center) / fit$y_scale
  }
  fit$learn_noise <- family == "gaussian" && is.null(noise_sd) &&
    !heteroscedastic

  split <- holdout(n, validation)
  n_train <- length(split$train)
  fit$n_train <- n_train
  if (is.null(batch_size)) batch_size <- min(n_train, 128L)
  if (batch_size > n_train) {
    abort(sprintf(paste0("`batch_size` (%d) must not exceed the number of ",
                         "training rows (%d)."), batch_size, n_train))
  }
  fit$control <- c(list(batch_size = as.integer(batch_size),
                        n_samples = as.integer(n_samples),
                        kl_weighting = kl_weighting, optimizer = optimizer,
                        lr = lr, momentum = momentum, rho_init = rho_init,
                        threads = as.integer(threads), precision = precision,
                        on_nonfinite = on_nonfinite),
                   convergence_control(n_train, batch_size))
  fit$unit_names <- unit_names(fit$prep$names, hidden,
                               if (family == "multinomial") resp$levels else
                                 if (heteroscedastic) c("y", "log_sd") else
                                   "y")

  train_rows <- split$train
  tau <- 0
  if (family == "gaussian") {
    tau <- if (!is.null(noise_sd)) log(noise_sd / fit$y_scale) else
      log(noise_start(inputs, yy, train_rows, fit$prep))
  }
  theta <- init_theta(fit$width, activation, rho_init, tau)
  if (heteroscedastic) {
    # the log noise sd output starts at the noise start, with tau unused
    theta[n_params(fit$width)] <- tau
    theta[length(theta)] <- 0
  }
  # the optimiser's moments: NULL for zeros (the engine makes them)
  fit$opt_state <- list(m = NULL, v = NULL, t = 0)
  fit$trace <- empty_trace(validation > 0)
  data <- list(x = inputs$x, y = yy)
  if (validation > 0) {
    data <- list(x = inputs$x[split$train, , drop = FALSE],
                 y = yy[split$train],
                 val_x = scale_inputs(inputs$x[split$val, , drop = FALSE],
                                      fit$prep),
                 val_y = yy[split$val])
  }
  if (keep_data) fit$data <- data
  fit <- train_fit(fit, data, epochs, verbose, theta, max_epochs)
  # the seed of predict() and the other draws from the fit (drawn after
  # training, so that the training draws are as they were without it)
  fit$seed <- new_seed()
  fit
}

# The settings of training to convergence (epochs = NULL): the window of
# the convergence rule (converged() in train.R), 1000 optimiser steps but
# at least 10 epochs, and the cap, 200,000 steps but at least 4 windows.
convergence_control <- function(n_train, batch_size) {
  steps <- ceiling(n_train / batch_size)
  window <- max(10L, as.integer(ceiling(1000 / steps)))
  max_epochs <- max(4L * window, as.integer(ceiling(2e5 / steps)))
  list(window = window, max_epochs = min(max_epochs, 1e5))
}

# Where the learned noise sd starts, on the standardized scale of y: the
# residual sd of a least-squares fit on the training rows (a network
# should do at least as well; on at most 5000 of them, evenly spaced),
# bounded to [0.05, 1].
noise_start <- function(inputs, y, rows, prep) {
  if (length(rows) > 5000L) {
    rows <- rows[round(seq(1, length(rows), length.out = 5000L))]
  }
  x <- inputs$x[rows, , drop = FALSE]
  if (nrow(x) <= ncol(x) + 2L) return(1)
  x <- cbind(1, sweep(sweep(x, 2L, prep$center), 2L, prep$scale, "/"))
  res <- stats::lm.fit(x, y[rows])$residuals
  s <- sqrt(sum(res^2) / (length(res) - ncol(x)))
  min(1, max(0.05, s))
}

# The prior's constants 1 / (2 s^2) must be finite floats for the
# single-precision engine: s above about 3.8e-20.
check_prior_single <- function(prior) {
  s <- c(prior$sigma1, if (prior$type == "mixture") prior$sigma2)
  flt_max <- 3.4028234663852886e38
  if (any(1 / (2 * s^2) > flt_max)) {
    bad <- if (prior$type == "mixture" && prior$sigma2 == min(s)) "sigma2" else
      if (prior$type == "mixture") "sigma1" else "scale"
    abort(sprintf(paste0("The prior's `%s` (%s) is too small for ",
                         "`precision = \"single\"`: 1 / (2 %s^2) overflows ",
                         "a float. Use a larger `%s` (at least 1e-19) or ",
                         "`precision = \"double\"`."), bad,
                  format(min(s)), bad, bad))
  }
  invisible(prior)
}

# Random hold-out rows for validation (none when fraction is 0).
holdout <- function(n, fraction) {
  n_val <- if (fraction > 0) max(1L, round(n * fraction)) else 0L
  if (n - n_val < 2L) {
    abort("`validation` leaves fewer than 2 training rows.")
  }
  val <- if (n_val > 0) sort(sample.int(n, n_val)) else integer(0)
  list(train = setdiff(seq_len(n), val), val = val)
}

set_theta <- function(fit, theta) {
  fit$params <- unpack_theta(theta, fit$width, fit$unit_names)
  fit$tau <- theta[length(theta)]
  fit
}

get_theta <- function(fit) pack_theta(fit$params, fit$tau)

empty_trace <- function(validation) {
  cols <- list(epoch = integer(0), elbo = numeric(0), nll = numeric(0),
               kl = numeric(0))
  if (validation) cols$val_nlpd <- numeric(0)
  trace_frame(cols)
}
