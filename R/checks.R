# Argument checks. Each names the argument and says what was expected.

abort <- function(...) stop(paste0(...), call. = FALSE)

describe <- function(x) {
  if (is.null(x)) return("NULL")
  if (length(x) == 1L && is.atomic(x)) return(format(x))
  sprintf("a %s of length %d", class(x)[1L], length(x))
}

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

check_count <- function(x, arg, min = 1) {
  ok <- is.numeric(x) && length(x) == 1L && !is.na(x) && is.finite(x) &&
    x == round(x) && x >= min && x <= .Machine$integer.max
  if (!ok) {
    abort(sprintf("`%s` must be a single whole number >= %d, not %s.",
                  arg, min, describe(x)))
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
    abort("`hidden` must be a vector of positive whole numbers (the widths ",
          "of the hidden layers; integer(0) for none), not ",
          describe(hidden), ".")
  }
  as.integer(hidden)
}

check_prior <- function(prior) {
  if (!inherits(prior, "bbb_prior")) {
    abort("`prior` must be made by prior_mixture() or prior_gaussian().")
  }
  prior
}

# A numeric design matrix: finite, at least two rows.
check_design <- function(x, arg = "x") {
  if (nrow(x) < 2L) {
    abort(sprintf("`%s` must have at least 2 rows, not %d.", arg, nrow(x)))
  }
  bad <- !is.finite(x)
  if (any(bad)) {
    where <- which(bad, arr.ind = TRUE)[1L, ]
    abort(sprintf(paste0("`%s` must be finite: it has %d NA, NaN or Inf ",
                         "value(s), the first in row %d, column '%s'."),
                  arg, sum(bad), where[1L], colnames(x)[where[2L]]))
  }
  if (any(abs(x) > 1e150)) {
    abort(sprintf(paste0("`%s` has values beyond 1e150 in absolute value; ",
                         "rescale it."), arg))
  }
  x
}
