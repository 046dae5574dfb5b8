# Argument checks. Each names the argument and says what was expected.

# Errors and warnings are classed conditions ("bbb_error", "bbb_warning")
# whose call is the bbb function the user called, so that a program can
# catch them by class and a person sees where they came from. (cli's
# cli_abort() would need rlang, which bbb does not depend on; these build
# the same kind of condition with base R.) The message is used as given:
# no glue interpolation, so braces in column names are safe.
abort <- function(..., class = NULL, call = user_call()) {
  cnd <- structure(class = c(class, "bbb_error", "error", "condition"),
                   list(message = paste0(...), call = call))
  stop(cnd)
}

warn <- function(..., class = NULL, call = user_call()) {
  cnd <- structure(class = c(class, "bbb_warning", "warning", "condition"),
                   list(message = paste0(...), call = call))
  warning(cnd)
}

# The call of the outermost frame whose function lives in bbb's namespace:
# the bbb function the user called, whatever helpers raised the condition;
# for an S3 method of a generic from elsewhere (predict.bbb_fit), the call
# of the generic (predict(fit, x)). NULL if there is none.
user_call <- function() {
  ns <- environment(user_call)
  for (i in seq_len(sys.nframe())) {
    env <- environment(sys.function(i))
    if (is.null(env) || !identical(topenv(env), ns)) next
    call <- sys.call(i)
    if (i > 1L && is_method_of(call[[1L]], sys.call(i - 1L)[[1L]])) {
      return(sys.call(i - 1L))
    }
    return(call)
  }
  NULL
}

# Whether `fn` (a call's function) names a method of the generic `gen`
# (a name, or pkg::name).
is_method_of <- function(fn, gen) {
  if (is.call(gen) && length(gen) == 3L &&
      identical(gen[[1L]], as.name("::"))) {
    gen <- gen[[3L]]
  }
  is.symbol(fn) && is.symbol(gen) &&
    startsWith(as.character(fn), paste0(as.character(gen), "."))
}

describe <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.function(x)) return("a function")
  if (is.data.frame(x)) {
    return(sprintf("a data frame with %d row(s) and %d column(s)", nrow(x),
                   ncol(x)))
  }
  if (is.factor(x)) return(sprintf("a factor of length %d", length(x)))
  if (is.array(x)) {
    return(sprintf("a %s %s %s", paste(dim(x), collapse = " x "),
                   type_name(x), if (is.matrix(x)) "matrix" else "array"))
  }
  if (is.atomic(x) && length(x) == 1L) {
    if (is.character(x) && !is.na(x)) return(encodeString(x, quote = "\""))
    return(format(x))
  }
  if (is.atomic(x)) {
    if (!length(x)) return(sprintf("an empty %s vector", type_name(x)))
    return(sprintf("a %s vector of length %d", type_name(x), length(x)))
  }
  if (is.list(x)) return(sprintf("a list of length %d", length(x)))
  sprintf("an object of class <%s>", class(x)[1L])
}

type_name <- function(x) if (is.numeric(x)) "numeric" else typeof(x)

check_number <- function(x, arg, lower = -Inf, upper = Inf, open = FALSE) {
  ok <- is.numeric(x) && length(x) == 1L && !is.na(x) && is.finite(x)
  if (ok) {
    ok <- if (open) x > lower && x < upper else x >= lower && x <= upper
  }
  if (!ok) {
    br <- if (open) c("(", ")") else c("[", "]")
    abort(sprintf("`%s` must be a single finite number in %s%s, %s%s, not %s.",
                  arg, br[1], format(lower), format(upper), br[2],
                  describe(x)))
  }
  invisible(x)
}

check_count <- function(x, arg, min = 1, max = .Machine$integer.max) {
  ok <- is.numeric(x) && length(x) == 1L && !is.na(x) && is.finite(x) &&
    x == round(x) && x >= min && x <= max
  if (!ok) {
    big <- is.numeric(x) && length(x) == 1L && isTRUE(x > max)
    abort(sprintf("`%s` must be a single whole number %s, not %s.", arg,
                  if (big) sprintf("in [%d, %d]", min, as.integer(max)) else
                    sprintf(">= %d", min),
                  describe(x)))
  }
  invisible(as.integer(x))
}

check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    abort(sprintf("`%s` must be TRUE or FALSE, not %s.", arg, describe(x)))
  }
  invisible(x)
}

check_choice <- function(x, choices, arg) {
  if (!is.character(x) || length(x) != 1L || !x %in% choices) {
    abort(sprintf("`%s` must be one of %s, not %s.", arg,
                  paste0('"', choices, '"', collapse = ", "), describe(x)))
  }
  x
}

check_hidden <- function(hidden) {
  ok <- is.numeric(hidden) && !anyNA(hidden) && all(is.finite(hidden)) &&
    all(hidden == round(hidden)) && all(hidden >= 1) && all(hidden <= 1e6)
  if (!ok) {
    abort("`hidden` must be a vector of whole numbers in [1, 1e6] (the ",
          "widths of the hidden layers; integer(0) for none), not ",
          describe(hidden), ".")
  }
  n <- length(hidden)
  if (n > 1L && sum(as.double(hidden[-n]) * hidden[-1L]) > 1e8) {
    abort("`hidden` gives a network with more than 1e8 weights between its ",
          "hidden layers; use narrower layers.")
  }
  as.integer(hidden)
}

check_prior <- function(prior) {
  if (!inherits(prior, "bbb_prior")) {
    abort("`prior` must be made by prior_mixture() or prior_gaussian(), ",
          "not ", describe(prior), ".")
  }
  prior
}

# A numeric design matrix: finite, at least two rows.
check_design <- function(x, arg = "x", names = colnames(x)) {
  if (nrow(x) < 2L) {
    abort(sprintf("`%s` must have at least 2 rows, not %d.", arg, nrow(x)))
  }
  # One pass in C; the copies below are made only to describe an error.
  scan <- .Call(C_bbb_scan, x, 1e150)
  if (scan[1L] > 0) {
    bad <- !is.finite(x)
    where <- which(bad, arr.ind = TRUE)[1L, ]
    abort(sprintf(paste0("`%s` must be finite: it has %d NA, NaN or Inf ",
                         "value(s), the first in row %d, column '%s'."),
                  arg, sum(bad), where[1L], names[where[2L]]))
  }
  if (scan[2L] > 0) {
    big <- abs(x) > 1e150
    where <- which(big, arr.ind = TRUE)[1L, ]
    abort(sprintf(paste0("`%s` has %d value(s) beyond 1e150 in absolute ",
                         "value, the first in row %d, column '%s'; ",
                         "rescale it."),
                  arg, sum(big), where[1L], names[where[2L]]))
  }
  x
}

# Arguments a method does not know (misspelled ones) are an error, not
# silently ignored.
check_no_dots <- function(..., fn) {
  if (...length()) {
    nm <- names(list(...))
    nm <- if (is.null(nm) || any(nm == "")) "unnamed arguments" else
      paste0("`", nm, "`", collapse = ", ")
    abort("Unknown argument(s) to ", fn, ": ", nm, ".")
  }
  invisible()
}

# Combinations of predict() arguments that make no sense, or that the
# fit's family does not support.
check_predict_type <- function(object, type, interval) {
  family <- object$family
  classes <- family %in% c("binomial", "multinomial")
  if (type %in% c("class", "prob") && !classes) {
    abort(sprintf(paste0("`type = \"%s\"` needs a binomial or ",
                         "multinomial fit, not a %s one."), type, family))
  }
  if (interval == "none") return(invisible())
  if (type %in% c("class", "samples", "predictive")) {
    abort(sprintf(paste0("`interval = \"%s\"` goes with a summary (type ",
                         "\"response\", \"link\" or \"prob\"), not with ",
                         "`type = \"%s\"`."), interval, type))
  }
  if (interval == "prediction" && type != "response") {
    abort(sprintf(paste0("`interval = \"prediction\"` is an interval for a ",
                         "new observation, on the response scale: use ",
                         "`type = \"response\"`, or `interval = ",
                         "\"credible\"` with `type = \"%s\"`."), type))
  }
  if (interval == "prediction" && family == "multinomial") {
    abort("`interval = \"prediction\"` needs an ordered response; for ",
          "the multinomial family use `interval = \"credible\"` or ",
          "`type = \"predictive\"` draws.")
  }
  invisible()
}

# NULL (the default for the fit and the type) or a count.
check_nsamples <- function(nsamples, fit, type = "response") {
  if (is.null(nsamples)) {
    return(default_nsamples(fit, type %in% c("samples", "predictive")))
  }
  check_count(nsamples, "nsamples")
}

# NULL or a whole number that set.seed() takes.
check_seed <- function(seed) {
  if (is.null(seed)) return(NULL)
  ok <- is.numeric(seed) && length(seed) == 1L && !is.na(seed) &&
    is.finite(seed) && seed == round(seed) &&
    abs(seed) <= .Machine$integer.max
  if (!ok) {
    abort("`seed` must be NULL or a single whole number (as for ",
          "set.seed()), not ", describe(seed), ".")
  }
  as.integer(seed)
}

# `coverage` of bbb_evaluate() and its ensemble method: probabilities in
# (0, 1).
check_coverage <- function(coverage) {
  ok <- is.numeric(coverage) && length(coverage) >= 1L &&
    !anyNA(coverage) && all(coverage > 0 & coverage < 1)
  if (!ok) {
    abort("`coverage` must be a vector of probabilities in (0, 1), not ",
          describe(coverage), ".")
  }
  invisible(coverage)
}
