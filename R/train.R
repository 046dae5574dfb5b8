# The epoch loop. The minibatch loop runs in C (src/train.c); R enters once
# per chunk of epochs, a chunk growing (by up to 64 times a call, as far as
# the last call's time says) until a call takes about 0.1 s, so that tiny
# problems are not slowed by R and large ones still show progress.
# The engine's random stream is seeded from R's RNG on the first call and
# carried from call to call, so the result does not depend on the chunking
# (which depends on timing). An interrupt keeps the epochs already done.

train_fit <- function(fit, data, epochs, verbose, theta = get_theta(fit)) {
  spec <- net_spec(fit)
  ctrl <- engine_control(fit)
  ctrl$rows <- design_rows(fit, data$x)
  state <- fit$opt_state
  validating <- !is.null(data$val_x)
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
    while (done < epochs && is.null(failure)) {
      ctrl$epochs <- as.integer(min(chunk, epochs - done))
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
          elbo_txt <- format(tr$elbo[ok_epochs], digits = 6)
        }
        if (res$status != 0L) {
          failure <- res
          failure$epoch <- done + 1L
        }
      })
      if (verbose) cli::cli_progress_update(set = done, id = bar)
      took <- proc.time()[["elapsed"]] - started
      if (!validating && took < 0.05) {
        chunk <- chunk * as.integer(min(64, max(2, 0.1 / max(took, 1e-4))))
      }
    },
    interrupt = function(e) interrupted <<- TRUE
  )
  if (verbose) cli::cli_progress_done(id = bar)

  fit <- set_theta(fit, theta)
  fit$opt_state <- state
  fit$trace <- bind_traces(c(list(fit$trace), trace))
  if (!is.null(failure)) {
    msg <- sprintf(paste0(
      "Training diverged: the %s became non-finite in epoch %d ",
      "(minibatch %d). Try a smaller `lr` (now %g), `standardize = TRUE`, ",
      "a smaller `rho_init`, or a narrower prior."),
      if (failure$status == 1L) "loss" else "parameter update",
      failure$epoch, failure$fail_step, fit$control$lr)
    if (fit$control$on_nonfinite == "error") abort(msg)
    warn(msg, " Returning the fit as it was before that epoch.")
  }
  if (interrupted) {
    warn(sprintf("Interrupted: returning the fit after %d epoch(s).",
                 nrow(fit$trace)))
  }
  fit
}

engine_control <- function(fit) {
  ctl <- fit$control
  list(
    epochs = 1L, batch_size = ctl$batch_size, n_samples = ctl$n_samples,
    kl_blundell = as.integer(ctl$kl_weighting == "blundell"),
    learn_tau = as.integer(isTRUE(fit$learn_noise)),
    optimizer = code_of(ctl$optimizer, optimizers), lr = ctl$lr,
    momentum = ctl$momentum, beta1 = 0.9, beta2 = 0.999, eps = 1e-8,
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
