# The epoch loop. The minibatch loop runs in C (src/train.c); R enters once
# per chunk of epochs, a chunk growing (by up to 64 times a call, as far as
# the last call's time says) until a call takes about 0.1 s, so that tiny
# problems are not slowed by R and large ones still show progress.
# The engine's random stream is seeded from R's RNG on the first call and
# carried from call to call, so the result does not depend on the chunking
# (which depends on timing). An interrupt keeps the epochs already done.
#
# `epochs` NULL trains to convergence: phase after phase (see
# training_phases()), each until its ELBO stops improving (converged()),
# within the cap of max_epochs (by default fit$control$max_epochs). The
# rule is checked every quarter window, at fixed epochs: calls end there
# whatever their timing, so that the fit does not depend on it.

train_fit <- function(fit, data, epochs, verbose, theta = get_theta(fit),
                      max_epochs = NULL) {
  spec <- net_spec(fit)
  ctrl <- engine_control(fit)
  ctrl$rows <- design_rows(fit, data$x)
  state <- fit$opt_state
  validating <- !is.null(data$val_x)
  auto <- is.null(epochs)
  window <- fit$control$window
  if (auto) epochs <- max_epochs %||% fit$control$max_epochs
  # the rule is checked every `every` epochs, at the same epochs however
  # the calls fall, so that the result does not depend on timing
  every <- if (auto) max(1L, window %/% 4L) else .Machine$integer.max
  phases <- training_phases(fresh = nrow(fit$trace) == 0L,
                            eb = isTRUE(fit$prior$eb))
  phase <- 1L
  phase_start <- 0L   # epochs done when the phase began
  set_phase <- function(ctrl, i) {
    ctrl$rho_rate <- phases$rho_rate[i]
    ctrl$eb_hold <- as.integer(phases$hold[i])
    ctrl$lr <- fit$control$lr * phases$lr[i]
    ctrl
  }
  if (auto) ctrl <- set_phase(ctrl, 1L)
  elbo <- numeric(0)  # the ELBO of every epoch of this call
  rng_state <- NULL
  done <- 0L
  chunk <- 1L
  trace <- vector("list", 0L)
  elbo_txt <- "   ..."
  if (verbose) {
    # at most 72 characters (the bar is 32), to fit in 80 columns
    bar <- cli::cli_progress_bar(
      format = paste("{cli::pb_bar} {cli::pb_current}/{cli::pb_total} |",
                     "ELBO {elbo_txt} | ETA {cli::pb_eta}"),
      total = epochs, clear = FALSE, .envir = environment())
  }
  interrupted <- FALSE
  failure <- NULL
  # An interrupt may come during the engine call or during the R code
  # between calls: either way the loop stops and the epochs whose results
  # were committed (atomically, below) are kept.
  tryCatch(
    while (done < epochs && is.null(failure) && phase <= nrow(phases)) {
      ctrl$epochs <- as.integer(min(floor(chunk), epochs - done,
                                    every - done %% every))
      started <- proc.time()[["elapsed"]]
      res <- .Call(C_bbb_train, spec, theta, state$m, state$v, state$t,
                   data$x, data$y, ctrl, rng_state)
      ok_epochs <- if (res$status == 0L) ctrl$epochs else res$fail_epoch - 1L
      tr <- NULL
      if (ok_epochs > 0L) {
        tr <- trace_rows(fit, res$trace[seq_len(ok_epochs), , drop = FALSE],
                         done)
        if (validating) {
          tr$val_nlpd <- NA_real_
          tr$val_nlpd[ok_epochs] <- validation_nlpd(set_theta(fit,
                                                              res$theta),
                                                    data)
        }
      }
      suspendInterrupts({
        theta <- res$theta
        state <- list(m = res$m, v = res$v, t = res$t)
        rng_state <- res$rng_state
        if (!is.null(tr)) {
          trace[[length(trace) + 1L]] <- tr
          done <- done + ok_epochs
          elbo <- c(elbo, tr$elbo)
          elbo_txt <- format(tr$elbo[ok_epochs], digits = 6)
        }
        if (res$status != 0L) {
          failure <- res
          failure$epoch <- done + 1L
        }
      })
      if (auto && done %% every == 0L &&
          converged(elbo[(phase_start + 1L):done], window)) {
        phase <- phase + 1L
        phase_start <- done
        if (phase <= nrow(phases)) ctrl <- set_phase(ctrl, phase)
      }
      if (verbose) cli::cli_progress_update(set = done, id = bar)
      took <- proc.time()[["elapsed"]] - started
      if (!validating && took < 0.05) {
        chunk <- min(chunk * min(64, max(2, 0.1 / max(took, 1e-4))), 1e6)
      }
    },
    interrupt = function(e) interrupted <<- TRUE
  )
  if (verbose) cli::cli_progress_done(id = bar)

  fit <- set_theta(fit, theta)
  fit$opt_state <- state
  fit$trace <- bind_traces(c(list(fit$trace), trace))
  fit$converged <- if (auto) phase > nrow(phases) else NA
  if (!is.null(failure)) {
    msg <- sprintf(paste0(
      "Training diverged: the %s became non-finite in epoch %d ",
      "(minibatch %d). Try a smaller `lr` (now %g), `standardize = TRUE` ",
      "or a smaller `rho_init`."),
      if (failure$status == 1L) "loss" else "parameter update",
      failure$epoch, failure$fail_step, ctrl$lr)
    if (fit$control$on_nonfinite == "error") abort(msg)
    warn(msg, " Returning the fit as it was before that epoch.")
  } else if (interrupted) {
    warn(sprintf("Interrupted: returning the fit after %d epoch(s).",
                 nrow(fit$trace)))
  } else if (auto && phase <= nrow(phases)) {
    warn(sprintf(paste0(
      "The ELBO was still improving when training stopped at the cap of ",
      "%d epochs. Continue with `bbb_continue(fit)`, or give `epochs`."),
      epochs))
  }
  fit
}

# The phases of training to convergence, each until the ELBO stops
# improving: the posterior sds held at their start while the means fit the
# data (rho_rate 0; under empirical Bayes the prior scales held at their
# hyperprior's mode too); under empirical Bayes, the sds learned with the
# scales still held; everything learned at the fit's learning rate; then at
# a tenth of it. A fit trained before continues with the last two.
# options(bbb.phases = ...) picks phases by name, for the study of the
# defaults in bench/uci_study.sh.
training_phases <- function(fresh = TRUE, eb = TRUE) {
  all <- data.frame(name = c("warm", "hold", "main", "anneal"),
                    rho_rate = c(0, 1, 1, 1),
                    hold = c(TRUE, TRUE, FALSE, FALSE),
                    lr = c(1, 1, 1, 0.1))
  use <- getOption("bbb.phases", c("warm", if (eb) "hold", "main",
                                   "anneal"))
  if (!fresh) use <- intersect(use, c("main", "anneal"))
  all[all$name %in% use, , drop = FALSE]
}

# Whether the ELBO of a phase (one value per epoch) has stopped improving:
# the mean of its last `window` epochs is above the mean of the window
# before by less than twice the standard error of that difference (from
# the epochs' spread about a line through each window), or by less than
# 0.1% of the ELBO; judged once the phase has two windows.
converged <- function(elbo, window) {
  n <- length(elbo)
  if (n < 2L * window) return(FALSE)
  new <- elbo[(n - window + 1L):n]
  old <- elbo[(n - 2L * window + 1L):(n - window)]
  t <- seq_len(window)
  spread <- function(v) stats::sd(stats::lm.fit(cbind(1, t), v)$residuals)
  se <- sqrt((spread(new)^2 + spread(old)^2) / window)
  mean(new) - mean(old) < max(2 * se, 1e-3 * abs(mean(new)))
}

engine_control <- function(fit) {
  ctl <- fit$control
  list(
    epochs = 1L, batch_size = ctl$batch_size, n_samples = ctl$n_samples,
    kl_blundell = as.integer(ctl$kl_weighting == "blundell"),
    learn_tau = as.integer(isTRUE(fit$learn_noise)),
    optimizer = code_of(ctl$optimizer, optimizers), lr = ctl$lr,
    momentum = ctl$momentum, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
    rho_rate = 1, eb_hold = 0L,
    threads = ctl$threads,
    single = as.integer(identical(ctl$precision, "single")),
    center = as.double(fit$prep$center),
    scale = as.double(fit$prep$scale)
  )
}

# For single-precision minibatch training on a large design (a million
# values or more): the design standardized, row by row, in single
# precision (4 bytes a value, kept while the fit trains), from which the
# engine gathers minibatches several times faster than from R's
# column-major matrix. options(bbb.row_copy = FALSE) saves the memory.
design_rows <- function(fit, x) {
  ctl <- fit$control
  if (!isTRUE(getOption("bbb.row_copy", TRUE)) ||
      !identical(ctl$precision, "single") || ctl$batch_size >= nrow(x) ||
      as.double(nrow(x)) * ncol(x) < 2^20) {
    return(NULL)
  }
  .Call(C_bbb_design_rows, x, as.double(fit$prep$center),
        as.double(fit$prep$scale))
}

# Trace rows on the scale of the original response: for a standardized
# gaussian response the data term gains n log(y_scale).
trace_rows <- function(fit, m, done) {
  nll <- m[, 1L] + fit$n_train * log(fit$y_scale)
  trace_frame(list(epoch = done + seq_len(nrow(m)) + nrow(fit$trace),
                   elbo = -(nll + m[, 2L]), nll = nll, kl = m[, 2L]))
}

# A data frame of equal-length columns. data.frame() and rbind() check and
# convert far more than a trace needs, and took a third of a short fit.
trace_frame <- function(cols) {
  structure(cols, class = "data.frame",
            row.names = .set_row_names(length(cols[[1L]])))
}

# The rows of trace frames one after the other (columns of the first; a
# column missing from a later frame is NA there).
bind_traces <- function(frames) {
  cols <- lapply(names(frames[[1L]]), function(nm) {
    unlist(lapply(frames, function(f) f[[nm]] %||% rep(NA_real_, nrow(f))),
           use.names = FALSE)
  })
  trace_frame(stats::setNames(cols, names(frames[[1L]])))
}

validation_nlpd <- function(fit, data) {
  eta <- engine_draws(fit, data$val_x, 50L)
  -mean(log_pred_density(fit, eta, data$val_y, scaled = TRUE))
}
