# Fuzzing of the C entry points. Every routine registered in src/init.c is
# called directly, in a child R process, with argument sets that start from
# a valid one and have one or two arguments corrupted: wrong type, wrong
# length, NULL, NA, negative, huge, a list instead of a vector, a list with
# an element missing or renamed, a matrix of the wrong shape, a non-finite
# value inside a vector, and so on. The child must survive: every call
# either returns or signals an ordinary R error. A crash, an R error that is
# really a caught segfault ("C stack ..."), or a PROTECT imbalance ("stack
# imbalance" warning) fails the test.
#
# The valid argument sets are the real ones: the child runs bbb's own R code
# (tiny fits of every family, prediction, bbb_gradient(), ...) on copies of
# the package's functions whose `.Call` records its arguments. So the fuzzing
# follows any change of a routine's signature by itself; a registered
# routine that this driver does not reach needs an entry in `fallback`.
#
# Environment variables:
#   BBB_FUZZ_N        number of corrupted calls (default 3000)
#   BBB_FUZZ_SEED     seed (default 20240601)
#   BBB_FUZZ_TIMEOUT  seconds before the child is killed (default 600)
#   BBB_TEST_CHILD_DEBUGGER  run the child as `R -d "<value>"`, e.g.
#                     "valgrind --error-exitcode=1" (tools/valgrind.sh)

# Runs in the child: self-contained (callr serialises it without its
# environment). Returns a summary list; writes a description of each call to
# `log_file` before making it, so that the call that crashed the child is
# the last line of the log.
fuzz_child <- function(n_iter, seed, log_file) {
  suppressPackageStartupMessages(library(bbb))
  ns <- asNamespace("bbb")
  log_con <- file(log_file, open = "w")
  on.exit(close(log_con))
  note <- function(...) {
    cat(..., "\n", sep = "", file = log_con)
    flush(log_con)
  }
  `%||%` <- function(a, b) if (is.null(a)) b else a
  crash_pattern <- paste(
    "C stack", "segfault", "memory not mapped", "stack imbalance",
    "protect\\(\\)", "unprotect", "invalid permissions", "caught",
    sep = "|")

  routines <- getDLLRegisteredRoutines("bbb")$.Call
  arity <- vapply(routines, function(r) r$numParameters, 1L)
  names(arity) <- vapply(routines, function(r) r$name, "")
  symbol <- function(name) {
    ns[[paste0("C_", name)]] %||% getNativeSymbolInfo(name, "bbb")
  }

  # Valid argument sets, recorded from bbb's own R code ---------------------
  # Copies of the namespace's functions live in `shadow`, where `.Call`
  # records the routine, its arguments and their expressions (the labels).
  recorded <- list()
  shadow <- new.env(parent = ns)
  for (nm in ls(ns, all.names = TRUE)) {
    f <- get(nm, envir = ns)
    if (is.function(f) && !is.primitive(f) &&
        identical(environment(f), ns)) {
      environment(f) <- shadow
      assign(nm, f, envir = shadow)
    }
  }
  shadow$.Call <- function(.NAME, ...) {
    exprs <- as.list(sys.call())[-(1:2)]
    labels <- vapply(exprs, function(e) paste(deparse(e), collapse = ""), "")
    if (!is.null(names(exprs))) {
      labels <- ifelse(nzchar(names(exprs)), names(exprs), labels)
    }
    args <- list(...)
    names(args) <- labels
    name <- if (is.character(.NAME)) .NAME else .NAME$name
    recorded[[length(recorded) + 1L]] <<- list(name = name, args = args)
    base::.Call(.NAME, ...)
  }
  # Sizes are such that most vectors exceed 16 doubles: R serves smaller
  # ones from its own pages, where sanitizers and valgrind cannot see an
  # overflow.
  set.seed(seed)
  n <- 24L
  x <- matrix(stats::rnorm(n * 3L), n)
  ys <- list(
    gaussian = stats::rnorm(n),
    multinomial = factor(rep(c("a", "b", "c"), length.out = n)),
    binomial = rep(c(TRUE, FALSE), n / 2L),
    poisson = stats::rpois(n, 2)
  )
  fit_args <- list(
    gaussian = list(hidden = 5L),
    multinomial = list(hidden = c(4L, 3L), activation = "tanh",
                       prior = bbb::prior_gaussian(), estimator = "local"),
    binomial = list(hidden = 5L, activation = "sigmoid",
                    kl_weighting = "blundell", optimizer = "sgd",
                    batch_size = 7L),
    poisson = list(hidden = integer(0), family = "poisson"),
    threads = list(hidden = 5L, threads = 2L, validation = 0.25),
    hetero = list(hidden = 5L, heteroscedastic = TRUE)
  )
  ys$threads <- ys$gaussian
  fit_args$single <- list(hidden = 5L, precision = "single")
  ys$single <- ys$gaussian
  ys$hetero <- ys$gaussian
  driver_errors <- character()
  drive <- function(what, expr) {
    tryCatch(expr, error = function(e) {
      driver_errors <<- c(driver_errors,
                          paste0(what, ": ", conditionMessage(e)))
      NULL
    })
  }
  for (fam in names(fit_args)) {
    fit <- drive(paste("fit", fam), do.call(shadow$bbb_fit.default, c(
      list(x, ys[[fam]], epochs = 3L, verbose = FALSE), fit_args[[fam]])))
    if (is.null(fit)) next
    drive(paste("predict", fam), shadow$predict.bbb_fit(
      fit, x, interval = "credible", nsamples = 4L))
    drive(paste("gradient", fam), shadow$bbb_gradient(fit, x, ys[[fam]]))
    drive(paste("evaluate", fam), shadow$bbb_evaluate(fit, x, ys[[fam]],
                                                      nsamples = 4L))
    drive(paste("train_noise", fam), shadow$train_noise(fit, 1, 0L, n))
  }
  drive("engine_rnorm", shadow$engine_rnorm(50L))
  # Routines that the calls above may not reach: valid sets by hand, used
  # while their number of arguments matches. A routine without
  # arguments needs none.
  fallback <- list(
    bbb_gemm = list(a = matrix(as.double(1:6), 2L, 3L),
                    b = matrix(as.double(1:6), 3L, 2L),
                    c = matrix(0, 2L, 2L), ta = FALSE, tb = FALSE,
                    beta = FALSE, single = FALSE, threads = 2L,
                    kernel = NULL, epi = 1L, e = c(-3, 0.5)),
    bbb_design_rows = list(x = matrix(as.double(1:6), 3L, 2L),
                           center = c(1, 2), scale = c(1, 0.5)),
    bbb_sqrt_block = list(x = c(4, 2, 0.25), version = "sse",
                          single = FALSE)
  )
  for (name in names(arity)[arity == 0L]) fallback[[name]] <- list()
  bases <- list()
  for (r in recorded) {
    known <- bases[[r$name]]
    if (length(known) >= 12L) next
    if (!any(vapply(known, identical, NA, r$args))) {
      bases[[r$name]] <- c(known, list(r$args))
    }
  }
  for (name in names(fallback)) {
    if (is.null(bases[[name]]) && name %in% names(arity) &&
        arity[[name]] == length(fallback[[name]])) {
      bases[[name]] <- list(fallback[[name]])
    }
  }
  uncovered <- setdiff(names(arity), names(bases))

  # Calls a routine; returns "ok", "error" or "crash: <message>".
  call_one <- function(name, args) {
    found <- NULL
    res <- withCallingHandlers(
      tryCatch({
        do.call(.Call, c(list(symbol(name)), unname(args)), quote = TRUE)
        "ok"
      }, error = function(e) {
        msg <- conditionMessage(e)
        if (grepl(crash_pattern, msg)) paste("crash:", msg) else "error"
      }),
      warning = function(w) {
        msg <- conditionMessage(w)
        if (grepl(crash_pattern, msg)) found <<- paste("crash:", msg)
        invokeRestart("muffleWarning")
      })
    found %||% res
  }
  base_status <- unlist(lapply(names(bases), function(r) {
    vapply(seq_along(bases[[r]]), function(i) {
      note(r, " base ", i)
      st <- call_one(r, bases[[r]][[i]])
      if (st == "ok") "ok" else paste0(r, " base ", i, ": ", st)
    }, "")
  }))

  # Corruptions ------------------------------------------------------------
  huge <- list(.Machine$integer.max, -.Machine$integer.max, 2^31, -2^31,
               1e10, 1e300, -1e300, Inf, -Inf, NaN, .Machine$double.xmax)
  retype <- function(v, mode) {
    if (!is.atomic(v) || is.null(v)) return(vector(mode, 1L))
    tryCatch(suppressWarnings({
      storage.mode(v) <- mode
      v
    }), error = function(e) vector(mode, 1L))
  }
  bad_elt <- function(v) {
    if (!is.atomic(v) || length(v) == 0L) return(NA)
    i <- sample.int(length(v), 1L)
    if (is.integer(v)) {
      v[i] <- sample(c(NA_integer_, -1L, 0L, .Machine$integer.max,
                       -.Machine$integer.max), 1L)
    } else if (is.double(v)) {
      v[i] <- sample(c(NA, NaN, Inf, -Inf, -1, 0, 0.5, 1e300, -1e300,
                       2^31), 1L)
    } else {
      v[i] <- NA
    }
    v
  }
  matrix_ops <- list(
    nodim = function(v) as.vector(v),
    transpose = function(v) t(v),
    fewer_rows = function(v) v[-nrow(v), , drop = FALSE],
    more_rows = function(v) rbind(v, v),
    one_row = function(v) v[1L, , drop = FALSE],
    zero_rows = function(v) v[0L, , drop = FALSE],
    more_cols = function(v) cbind(v, 0),
    fewer_cols = function(v) v[, -1L, drop = FALSE],
    zero_cols = function(v) v[, 0L, drop = FALSE],
    column = function(v) matrix(v, ncol = 1L),
    int_matrix = function(v) retype(v, "integer"),
    array3 = function(v) array(v, c(dim(v), 1L))
  )
  value_ops <- list(
    null = function(v) NULL,
    na = function(v) NA,
    na_int = function(v) NA_integer_,
    na_real = function(v) NA_real_,
    na_chr = function(v) NA_character_,
    chr = function(v) retype(v, "character"),
    int = function(v) retype(v, "integer"),
    dbl = function(v) retype(v, "double"),
    lgl = function(v) retype(v, "logical"),
    cplx = function(v) retype(v, "complex"),
    as_list = function(v) as.list(v),
    in_list = function(v) list(v),
    shorter = function(v) if (length(v)) v[-length(v)] else v,
    longer = function(v) c(v, v),
    empty = function(v) if (is.atomic(v) && !is.null(v)) v[0L] else list(),
    negative = function(v) if (is.numeric(v)) -v else -1L,
    huge = function(v) sample(huge, 1L)[[1L]],
    huge_vec = function(v) rep(sample(huge, 1L)[[1L]], max(1L, length(v))),
    bad_elt = bad_elt,
    bad_elt2 = function(v) bad_elt(bad_elt(v)),
    zero = function(v) 0L,
    zero_dbl = function(v) 0,
    one = function(v) 1L,
    string = function(v) "relu",
    true = function(v) TRUE,
    factor = function(v) if (is.atomic(v)) factor(v) else factor("a"),
    data_frame = function(v) as.data.frame(v),
    env = function(v) new.env(),
    fun = function(v) sum,
    sym = function(v) quote(foo),
    call = function(v) quote(f(x)),
    pairlist = function(v) as.pairlist(as.list(v)),
    expr = function(v) expression(1),
    raw = function(v) as.raw(1:3),
    seq = function(v) seq_len(max(1L, length(v))),
    rep_long = function(v) rep(v, 100L)
  )
  list_ops <- list(
    drop = function(v, i) v[-i],
    null_elt = function(v, i) {
      v[i] <- list(NULL)
      v
    },
    corrupt_elt = function(v, i) {
      v[i] <- list(corrupt(v[[i]]))
      v
    },
    corrupt_elt2 = function(v, i) {
      v[i] <- list(corrupt(v[[i]]))
      j <- sample.int(length(v), 1L)
      v[j] <- list(corrupt(v[[j]]))
      v
    },
    rename = function(v, i) {
      names(v)[i] <- "zzz"
      v
    },
    name_na = function(v, i) {
      names(v)[i] <- NA
      v
    },
    unname = function(v, i) unname(v),
    dup_first = function(v, i) {
      first <- v[i]
      first[1L] <- list(corrupt(v[[i]]))
      c(first, v)
    },
    extra = function(v, i) c(v, list(zzz = 1)),
    atomic = function(v, i) unlist(v)
  )
  # A corruption that does not apply to v (rep() of a function, say) gives NA.
  safely <- function(f, ...) {
    tryCatch(suppressWarnings(f(...)), error = function(e) NA)
  }
  corrupt <- function(v) {
    if (is.matrix(v) && stats::runif(1) < 0.4) {
      op <- sample(names(matrix_ops), 1L)
      return(safely(matrix_ops[[op]], v))
    }
    op <- sample(names(value_ops), 1L)
    safely(value_ops[[op]], v)
  }
  corrupt_arg <- function(v) {
    if (is.list(v) && !is.data.frame(v) && length(v) &&
        stats::runif(1) < 0.7) {
      op <- sample(names(list_ops), 1L)
      i <- sample.int(length(v), 1L)
      return(list(value = safely(list_ops[[op]], v, i),
                  what = paste0(op, "[", names(v)[i], "]")))
    }
    list(value = corrupt(v), what = "value")
  }

  # Valid but expensive requests (many epochs, draws, threads, ...) are not
  # what we are after: they are drawn again (and counted). Arguments are
  # recognised by the expression bbb's R code passes (e.g. `as.integer(nsim)`).
  count_in <- function(z, lo, hi) {
    is.numeric(z) && length(z) == 1L && !is.na(z) && z > lo && z <= hi
  }
  elt <- function(l, name) {
    if (is.list(l) && !is.data.frame(l) && !is.null(names(l))) {
      l[[name, exact = TRUE]]
    }
  }
  too_costly <- function(name, a) {
    labels <- names(a) %||% character(length(a))
    for (i in seq_along(a)) {
      v <- a[[i]]
      lab <- labels[i]
      if (count_in(elt(v, "epochs"), 100, 1e9) ||
          count_in(elt(v, "n_samples"), 100, 1e6) ||
          count_in(elt(v, "threads"), 64, 1024) ||
          (is.matrix(v) && nrow(v) > 1e4) ||
          (grepl("nsim|nsamples|draws", lab) && count_in(v, 1e4, Inf)) ||
          (grepl("thread", lab) && count_in(v, 64, 1024)) ||
          (grepl("reps", lab) && count_in(v, 100, Inf)) ||
          (grepl("shape", lab) && is.numeric(v) && !anyNA(v) &&
             prod(as.double(v)) > 1e7) ||
          (name == "bbb_rnorm" && i == 1L && count_in(v, 1e6, Inf))) {
        return(TRUE)
      }
    }
    FALSE
  }
  generic_pool <- list(NULL, NA, 1L, -1L, 0, 1e300, "a", list(),
                       list(a = 1), matrix(0, 2, 2), .Machine$integer.max,
                       c(1.5, NA), new.env(), quote(x), TRUE)

  # The loop -----------------------------------------------------------------
  results <- character(n_iter)
  what <- character(n_iter)
  skipped <- 0L
  i <- 0L
  weight <- arity + 1  # routines with more arguments get more calls
  while (i < n_iter) {
    name <- sample(names(arity), 1L, prob = weight)
    if (name %in% names(bases)) {
      case <- sample.int(length(bases[[name]]), 1L)
      args <- bases[[name]][[case]]
      desc <- paste0(name, "[", case, "]")
      if (length(args)) {
        k <- sample(1:2, 1L, prob = c(0.6, 0.4))
        for (j in sample.int(length(args), min(k, length(args)))) {
          cr <- corrupt_arg(args[[j]])
          args[j] <- list(cr$value)
          desc <- paste0(desc, " ", names(args)[j], ":", cr$what)
        }
      }
      if (stats::runif(1) < 0.02 || length(args) == 0L) {
        args <- if (length(args) && stats::runif(1) < 0.5) {
          args[-1L]
        } else {
          c(args, list(1))
        }
        desc <- paste(desc, "arity")
      }
    } else {
      args <- sample(generic_pool, arity[[name]], replace = TRUE)
      desc <- paste0(name, " generic")
    }
    if (too_costly(name, args)) {
      skipped <- skipped + 1L
      next
    }
    i <- i + 1L
    note(i, " ", desc)
    what[i] <- desc
    results[i] <- call_one(name, args)
  }
  note("done")
  crashed <- startsWith(results, "crash")
  list(
    routines = names(arity), uncovered = uncovered,
    driver_errors = driver_errors, base_status = base_status,
    n_bases = lengths(bases),
    n = n_iter, ok = sum(results == "ok"), error = sum(results == "error"),
    skipped = skipped,
    by_routine = table(sub("\\[.*| .*", "", what)),
    findings = if (any(crashed)) {
      paste(what[crashed], "->", results[crashed])
    } else {
      character(0)
    }
  )
}

# Starts R as callr would, optionally under a debugger (valgrind).
child_cmdargs <- function() {
  args <- c("--slave", "--no-save", "--no-restore")
  dbg <- Sys.getenv("BBB_TEST_CHILD_DEBUGGER")
  if (nzchar(dbg)) c("-d", dbg, args) else args
}

test_that("registered .Call routines survive corrupted arguments", {
  skip_on_cran()
  skip_if_not_installed("callr")
  n_iter <- as.integer(Sys.getenv("BBB_FUZZ_N", "3000"))
  seed <- as.integer(Sys.getenv("BBB_FUZZ_SEED", "20240601"))
  timeout <- as.numeric(Sys.getenv("BBB_FUZZ_TIMEOUT", "600"))
  log_file <- tempfile("fuzz-log-")
  out_file <- tempfile("fuzz-output-")
  on.exit(unlink(c(log_file, out_file)), add = TRUE)
  res <- tryCatch(
    callr::r(fuzz_child, args = list(n_iter, seed, log_file),
             libpath = .libPaths(), cmdargs = child_cmdargs(),
             stdout = out_file, stderr = "2>&1", timeout = timeout),
    error = function(e) e)
  if (inherits(res, "error")) {
    last <- if (file.exists(log_file)) utils::tail(readLines(log_file), 1L)
    out <- if (file.exists(out_file)) utils::tail(readLines(out_file), 40L)
    fail(paste0(
      "the fuzzing child did not exit normally (seed ", seed, "): ",
      conditionMessage(res), "\nlast call started: ", paste(last),
      "\nchild output:\n", paste(out, collapse = "\n")))
    return(invisible())
  }
  expect_identical(res$findings, character(0))
  # Every routine has a valid argument set that passes all its checks, so
  # that the corruptions reach the deep checks.
  expect_identical(res$driver_errors, character(0))
  expect_identical(res$uncovered, character(0))
  expect_true(all(res$base_status == "ok"),
              label = paste(res$base_status, collapse = "; "))
  expect_equal(res$ok + res$error + length(res$findings), n_iter)
  expect_gt(res$error, n_iter / 2)
  expect_gt(res$ok, 0)
  expect_true(all(res$routines %in% names(res$by_routine)))
})

test_that("absurd thread counts are an error, not a crash", {
  skip_on_cran()
  set.seed(1)
  x <- matrix(rnorm(8), 4)
  fit <- bbb_fit(x, rnorm(4), hidden = 2L, epochs = 1L, verbose = FALSE)
  for (threads in c(0L, 1025L, 100000L, .Machine$integer.max)) {
    fit$control$threads <- threads
    expect_error(predict(fit, x, nsamples = 2L), "threads")
  }
})
