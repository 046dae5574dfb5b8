# Independent fits run as futures (bbb_cv(), bbb_ensemble()). Each task
# gets its own L'Ecuyer-CMRG stream, made from one draw of the caller's
# RNG, so that set.seed() before the call fixes every result whatever the
# future plan (sequential, multisession, a cluster) and the order in which
# workers finish. Without the future package the tasks run one after the
# other on the same streams, with the same results; so do they with
# options(bbb.future = FALSE).

run_tasks <- function(tasks, fun, what = "fit") {
  seeds <- task_seeds(length(tasks))
  n <- length(tasks)
  fail <- function(i, e) {
    abort(sprintf("%s %d of %d failed: %s", what, i, n, conditionMessage(e)))
  }
  use_future <- isTRUE(getOption("bbb.future", TRUE)) &&
    requireNamespace("future", quietly = TRUE)
  if (!use_future) {
    return(lapply(seq_len(n), function(i) {
      tryCatch(with_stream(seeds[[i]], fun(tasks[[i]])),
               error = function(e) fail(i, e))
    }))
  }
  futures <- lapply(seq_len(n), function(i) {
    future::future(quote(fun(task)), substitute = FALSE,
                   globals = list(fun = fun, task = tasks[[i]]),
                   packages = "bbb", seed = seeds[[i]])
  })
  lapply(seq_len(n), function(i) {
    tryCatch(future::value(futures[[i]]), error = function(e) fail(i, e))
  })
}

# n consecutive L'Ecuyer-CMRG streams; the caller's RNG advances by one
# draw and keeps its kind.
task_seeds <- function(n) {
  start <- sample.int(.Machine$integer.max, 1L)
  env <- globalenv()
  old <- get(".Random.seed", envir = env)
  on.exit(assign(".Random.seed", old, envir = env))
  # The L'Ecuyer generator with R's default normal and sample kinds, so
  # the streams do not depend on the caller's RNGkind().
  RNGkind("L'Ecuyer-CMRG", "Inversion", "Rejection")
  set.seed(start)
  seed <- get(".Random.seed", envir = env)
  seeds <- vector("list", n)
  for (i in seq_len(n)) {
    seeds[[i]] <- seed
    seed <- parallel::nextRNGStream(seed)
  }
  seeds
}

# Evaluates expr with R's RNG set to `seed`, restoring the caller's state.
with_stream <- function(seed, expr) {
  env <- globalenv()
  old <- if (exists(".Random.seed", envir = env, inherits = FALSE)) {
    get(".Random.seed", envir = env)
  }
  on.exit(if (is.null(old)) {
    rm(".Random.seed", envir = env)
  } else {
    assign(".Random.seed", old, envir = env)
  })
  assign(".Random.seed", seed, envir = env)
  expr
}

# A call of bbb_fit() on args (a named list) and the environment to
# evaluate it in: the data (x, y, data) are referred to by name, the other
# arguments written into the call, so that the fit's `call` stays short and
# a formula can still be read from it.
fit_call <- function(args) {
  big <- names(args) %in% c("x", "y", "data")
  call_args <- args
  call_args[big] <- lapply(names(args)[big], as.name)
  list(call = as.call(c(list(quote(bbb::bbb_fit)), call_args)),
       env = list2env(args[big], parent = asNamespace("bbb")))
}

run_fit <- function(args) {
  fc <- fit_call(args)
  eval(fc$call, fc$env)
}

# The arguments of a fit as a named list: the first is a formula (named
# formula) or predictors (x), as bbb_fit() takes them.
fit_args <- function(x, dots) {
  first <- if (inherits(x, "formula")) "formula" else "x"
  if (first %in% names(dots)) {
    abort(sprintf("Give `%s` once.", first))
  }
  if (!"verbose" %in% names(dots)) dots$verbose <- FALSE
  c(stats::setNames(list(x), first), dots)
}
