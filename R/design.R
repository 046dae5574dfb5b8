# From what the user gives to what the engine sees: the numeric design
# matrix (with factor encodings and standardisation stored in the fit) and
# the response coded for its family.

# The design matrix of a data frame, by its terms; factors become dummies.
frame_design <- function(terms, data, xlevels = NULL) {
  mf <- stats::model.frame(terms, data, na.action = stats::na.pass,
                           xlev = xlevels)
  x <- stats::model.matrix(terms, mf)
  x <- x[, colnames(x) != "(Intercept)", drop = FALSE]
  attr(x, "assign") <- NULL
  attr(x, "contrasts") <- NULL
  list(x = x, xlevels = stats::.getXlevels(terms, mf))
}

# Input preprocessing of a new fit: the design and how to redo it.
prepare_inputs <- function(x, standardize) {
  if (is.data.frame(x)) {
    x <- check_frame(x, "x")
    terms <- stats::terms(~ ., data = x)
    attr(terms, "dataClasses") <- vapply(x, stats::.MFclass, "")
    d <- frame_design(terms, x)
    prep <- list(terms = terms, xlevels = d$xlevels)
    x <- d$x
  } else if (is.matrix(x) || (is.numeric(x) && is.null(dim(x)))) {
    if (!is.matrix(x)) x <- matrix(x, ncol = 1L)
    if (!is.numeric(x)) {
      abort("`x` must be a numeric matrix or a data frame, not ",
            describe(x), ".")
    }
    named <- !is.null(colnames(x))
    nm <- colnames(x) %||% paste0("x", seq_len(ncol(x)))
    blank <- is.na(nm) | nm == ""
    nm[blank] <- paste0("x", which(blank))
    dup <- unique(nm[duplicated(nm)])
    if (length(dup)) {
      abort(sprintf(paste0("`x` has duplicated column name(s) %s; give ",
                           "each column a unique name."),
                    paste0("'", dup, "'", collapse = ", ")))
    }
    # The names live in prep: setting them, or the storage mode of a
    # double matrix, would copy what may be most of the memory of a fit.
    if (!is.double(x)) storage.mode(x) <- "double"
    prep <- list(terms = NULL, named = named, names = nm)
  } else {
    abort("`x` must be a numeric matrix or a data frame, not ",
          describe(x), ".")
  }
  if (ncol(x) < 1L) abort("`x` must have at least one column.")
  prep$names <- prep$names %||% colnames(x)
  check_design(x, names = prep$names)
  prep$center <- rep(0, ncol(x))
  prep$scale <- rep(1, ncol(x))
  if (standardize) {
    stats <- .Call(C_bbb_col_stats, x)
    prep$center <- stats[1L, ]
    prep$scale <- stats[2L, ]
    const <- prep$scale < 1e-12 * pmax(1, abs(prep$center))
    if (any(const)) {
      abort(sprintf(paste0("Column '%s' of `x` is constant, so it cannot ",
                           "be standardized; drop it or set ",
                           "`standardize = FALSE`."),
                    prep$names[const][1]))
    }
  }
  # Unscaled: the engine standardizes rows as it gathers each minibatch, so
  # a large design is never copied.
  list(prep = prep, x = x)
}

# The predictor data frame of a new fit: named columns of usable types,
# finite, factors with at least two levels (unused levels dropped).
check_frame <- function(x, arg) {
  if (ncol(x) < 1L) abort(sprintf("`%s` must have at least one column.", arg))
  nm <- names(x)
  if (anyNA(nm) || any(nm == "")) {
    abort(sprintf("Every column of `%s` must have a name.", arg))
  }
  dup <- unique(nm[duplicated(nm)])
  if (length(dup)) {
    abort(sprintf(paste0("`%s` has duplicated column name(s) %s; give ",
                         "each column a unique name."), arg,
                  paste0("'", dup, "'", collapse = ", ")))
  }
  for (v in nm) {
    col <- x[[v]]
    if (is.character(col)) {
      abort(sprintf(paste0("Column '%s' of `%s` is character; convert it ",
                           "to a factor (or numbers) first."), v, arg))
    }
    if (!typeof(col) %in% c("double", "integer", "logical")) {
      abort(sprintf(paste0("Column '%s' of `%s` is of type %s; the columns ",
                           "of `%s` must be numeric, logical or factors."),
                    v, arg, typeof(col), arg))
    }
    check_column_finite(col, v, arg)
  }
  for (v in nm[vapply(x, is.factor, NA)]) {
    x[[v]] <- droplevels(x[[v]])
    if (nlevels(x[[v]]) < 2L) {
      abort(sprintf(paste0("Column '%s' of `%s` is a factor with only one ",
                           "level ('%s') in the data; drop it."), v, arg,
                    levels(x[[v]])))
    }
  }
  x
}

# No NA, NaN or Inf in one column (named `v`) of a data frame; with
# `na_ok`, NA and NaN are allowed (rows for na.action) but Inf is not.
check_column_finite <- function(col, v, arg, na_ok = FALSE) {
  num <- !(is.factor(col) || is.logical(col) || is.character(col))
  bad <- if (!num) {
    if (na_ok) rep(FALSE, length(col)) else is.na(col)
  } else if (na_ok) {
    is.infinite(unclass(col))
  } else {
    !is.finite(unclass(col))
  }
  if (any(bad)) {
    what <- if (na_ok) "infinite" else "NA, NaN or Inf"
    abort(sprintf(paste0("`%s` must be finite: it has %d %s ",
                         "value(s), the first in row %d, column '%s'."),
                  arg, sum(bad), what,
                  (which(bad)[1L] - 1L) %% NROW(col) + 1L, v))
  }
}

scale_inputs <- function(x, prep) {
  x <- sweep(sweep(x, 2L, prep$center), 2L, prep$scale, "/")
  dimnames(x) <- list(NULL, prep$names)
  x
}

# The design for new data, by the preprocessing of a fit: standardized
# for prediction (`scaled`), or as the training engine takes it. Missing
# values are an error.
new_design <- function(prep, newdata, arg = "newdata", scaled = TRUE) {
  d <- read_design(prep, newdata, arg, NULL)
  if (scaled) scale_inputs(d$x, prep) else d$x
}

# The design of the rows of newdata that have no missing values, after
# `na_action` (a function such as na.pass or na.omit, or NULL to make a
# missing value an error): a list with the standardized design `x` of the
# complete rows, `complete` (which of the n_rows rows of the result they
# are), `n_rows` (the rows na_action keeps, or all rows for na.exclude,
# whose dropped rows are put back as NA) and `names` (their row names).
new_design_na <- function(prep, newdata, na_action, arg = "newdata") {
  d <- read_design(prep, newdata, arg, na_action)
  d$x <- scale_inputs(d$x, prep)
  d
}

read_design <- function(prep, newdata, arg, na_action) {
  if (!is.null(dim(newdata)) && length(dim(newdata)) != 2L) {
    abort(sprintf("`%s` must be a matrix or a data frame, not %s.", arg,
                  describe(newdata)))
  }
  na_ok <- !is.null(na_action)
  raw <- if (is.null(prep$terms)) {
    new_matrix_design(prep, newdata, arg, na_ok)
  } else {
    new_frame_design(prep, newdata, arg, na_ok)
  }
  n <- NROW(raw$vars)
  if (n < 1L) abort(sprintf("`%s` has no rows.", arg))
  if (na_ok) {
    kept <- tryCatch(na_action(raw$vars), error = function(e) {
      abort(sprintf("`%s` has missing values, and `na.action` says: %s",
                    arg, conditionMessage(e)))
    })
    act <- attr(kept, "na.action")
    rows <- if (length(act)) seq_len(n)[-act] else seq_len(n)
    if (NROW(kept) != length(rows)) {
      abort("`na.action` must keep or drop rows as na.omit() does, not ",
            "change them.")
    }
    ok <- stats::complete.cases(raw$vars[rows, , drop = FALSE])
    use <- rows[ok]
    if (inherits(act, "exclude")) {
      # dropped rows come back as NA in the result, as napredict() does
      complete <- seq_len(n) %in% use
      n_rows <- n
      names <- raw$names
    } else {
      complete <- ok
      n_rows <- length(rows)
      names <- raw$names[rows]
    }
  } else {
    use <- seq_len(n)
    complete <- rep(TRUE, n)
    n_rows <- n
    names <- raw$names
  }
  x <- raw$design(use)
  if (length(x) && .Call(C_bbb_scan, x, Inf)[1L] > 0) {
    bad <- !is.finite(x)
    where <- which(bad, arr.ind = TRUE)[1L, ]
    abort(sprintf(paste0("`%s` must be finite: it has %d NA, NaN or Inf ",
                         "value(s), the first in row %d, column '%s'."), arg,
                  sum(bad), use[where[1L]], prep$names[where[2L]]))
  }
  list(x = x, complete = complete, n_rows = n_rows,
       names = if (!is.null(names)) as.character(names))
}

# New data for a fit made from a data frame or a formula: matched by the
# names of the variables; their types and factor levels must be as in
# training. Returns the model frame of the variables (`vars`), the row
# names, and a function giving the design of some of its rows.
new_frame_design <- function(prep, newdata, arg, na_ok = FALSE) {
  if (is.matrix(newdata)) newdata <- as.data.frame(newdata)
  if (!is.data.frame(newdata)) {
    abort(sprintf("`%s` must be a data frame, not %s.", arg,
                  describe(newdata)))
  }
  vars <- all.vars(stats::delete.response(prep$terms))
  missing <- setdiff(vars, names(newdata))
  if (length(missing)) {
    abort(sprintf("`%s` lacks the column(s) %s used in the fit.", arg,
                  paste0("'", missing, "'", collapse = ", ")))
  }
  mf <- stats::model.frame(prep$terms, newdata, na.action = stats::na.pass)
  old <- attr(prep$terms, "dataClasses")
  kind <- function(cl) {
    ifelse(cl %in% c("factor", "ordered", "character"), "a factor",
           ifelse(cl == "numeric", "numeric", ifelse(cl == "logical",
                                                     "logical", cl)))
  }
  for (v in names(mf)) {
    col <- mf[[v]]
    if (!is.null(old) && v %in% names(old)) {
      was <- kind(old[[v]])
      now <- kind(stats::.MFclass(col))
      if (was != now) {
        abort(sprintf(paste0("Column '%s' of `%s` is %s, but it was %s in ",
                             "the training data."), v, arg,
                      if (now == "other") describe_type(col) else now, was))
      }
    }
    check_column_finite(col, v, arg, na_ok)
    if (v %in% names(prep$xlevels)) {
      seen <- unique(as.character(col[!is.na(col)]))
      new_lev <- setdiff(seen, prep$xlevels[[v]])
      if (length(new_lev)) {
        abort(sprintf(paste0("Column '%s' of `%s` has level(s) %s not seen ",
                             "in the training data."), v, arg,
                      paste0("'", new_lev, "'", collapse = ", ")))
      }
    }
  }
  list(vars = mf, names = row.names(newdata),
       design = function(rows) {
         frame_design(prep$terms, newdata[rows, , drop = FALSE],
                      prep$xlevels)$x
       })
}

# New data for a fit made from a matrix: columns matched by name when the
# names allow it, otherwise by position. Returns as new_frame_design().
new_matrix_design <- function(prep, newdata, arg, na_ok = FALSE) {
  p <- length(prep$names)
  if (is.null(dim(newdata))) {
    if (is.list(newdata) || !is.numeric(newdata)) {
      abort(sprintf("`%s` must be a numeric matrix, not %s.", arg,
                    describe(newdata)))
    }
    if (p != 1L && length(newdata) != p) {
      abort(sprintf(paste0("`%s` is a vector of length %d, but the fit has ",
                           "%d predictors (%s); give a matrix with %d ",
                           "columns."), arg, length(newdata), p,
                    paste(prep$names, collapse = ", "), p))
    }
    newdata <- if (p == 1L) {
      matrix(newdata, ncol = 1L, dimnames = list(names(newdata), NULL))
    } else {
      matrix(newdata, nrow = 1L, dimnames = list(NULL, names(newdata)))
    }
  }
  nm <- colnames(newdata)
  by_name <- !is.null(nm) && (isTRUE(prep$named) || all(prep$names %in% nm))
  if (by_name) {
    missing <- setdiff(prep$names, nm)
    if (length(missing)) {
      abort(sprintf("`%s` lacks the column(s) %s used in the fit.", arg,
                    paste0("'", missing, "'", collapse = ", ")))
    }
    dup <- unique(nm[duplicated(nm) & nm %in% prep$names])
    if (length(dup)) {
      abort(sprintf("`%s` has duplicated column name(s) %s.", arg,
                    paste0("'", dup, "'", collapse = ", ")))
    }
    newdata <- newdata[, prep$names, drop = FALSE]
  } else if (ncol(newdata) != p) {
    abort(sprintf("`%s` must have %d column(s) (%s), not %d.", arg, p,
                  paste(prep$names, collapse = ", "), ncol(newdata)))
  }
  if (is.data.frame(newdata)) {
    ok <- vapply(newdata, function(col) is.numeric(col) && !is.object(col),
                 NA)
    if (!all(ok)) {
      v <- names(newdata)[!ok][1L]
      abort(sprintf(paste0("Column '%s' of `%s` must be numeric (the fit ",
                           "was made on a numeric matrix), not %s."), v, arg,
                    describe_type(newdata[[v]])))
    }
    newdata <- as.matrix(newdata)
  }
  if (!is.numeric(newdata)) {
    abort(sprintf("`%s` must be a numeric matrix, not %s.", arg,
                  describe(newdata)))
  }
  storage.mode(newdata) <- "double"
  if (na_ok && any(is.infinite(newdata))) {
    bad <- is.infinite(newdata)
    where <- which(bad, arr.ind = TRUE)[1L, ]
    abort(sprintf(paste0("`%s` must be finite: it has %d infinite ",
                         "value(s), the first in row %d, column '%s'."), arg,
                  sum(bad), where[1L], prep$names[where[2L]]))
  }
  all_rows <- nrow(newdata)
  list(vars = newdata, names = rownames(newdata),
       design = function(rows) {
         if (length(rows) == all_rows) newdata else
           newdata[rows, , drop = FALSE]
       })
}

describe_type <- function(col) {
  if (is.factor(col)) return("a factor")
  if (is.object(col)) return(sprintf("a %s", class(col)[1L]))
  sprintf("a %s vector", typeof(col))
}

# The family a response implies under family = "auto".
guess_family <- function(y) {
  if (is.logical(y)) return("binomial")
  if (is.factor(y)) return(if (nlevels(y) <= 2L) "binomial" else
    "multinomial")
  if (is.numeric(y) && all(y %in% c(0, 1))) return("binomial")
  if (is.integer(y) && all(y >= 0, na.rm = TRUE)) return("poisson")
  "gaussian"
}

# Codes y for the engine: numbers for gaussian/poisson, 0/1 for binomial,
# class codes 0..K-1 for multinomial; `levels` for factors.
encode_response <- function(y, family, levels = NULL, arg = "y") {
  if (is.character(y)) {
    abort(sprintf("`%s` is character; convert it to a factor.", arg))
  }
  if (is.list(y) || !is.atomic(y)) {
    abort(sprintf("`%s` must be a vector or a factor, not %s.", arg,
                  describe(y)))
  }
  if (anyNA(y) || (is.numeric(y) && any(!is.finite(y)))) {
    abort(sprintf(paste0("`%s` must not contain NA, NaN or Inf (found at ",
                         "position %d)."), arg,
                  which(is.na(y) | !is.finite(as.numeric(y)))[1L]))
  }
  first_bad <- function(bad) {
    i <- which(bad)[1L]
    sprintf("found %s at position %d", format(y[i]), i)
  }
  switch(family,
    gaussian = {
      if (!is.numeric(y)) {
        abort(sprintf("The gaussian family needs a numeric `%s`, not %s.",
                      arg, describe_type(y)))
      }
      if (any(abs(y) > 1e150)) {
        abort(sprintf(paste0("`%s` must not have values beyond 1e150 in ",
                             "absolute value (%s); rescale it."), arg,
                      first_bad(abs(y) > 1e150)))
      }
      list(y = as.double(y), levels = NULL)
    },
    poisson = {
      if (!is.numeric(y) || is.object(y)) {
        abort(sprintf(paste0("The poisson family needs counts (non-negative ",
                             "whole numbers) in `%s`, not %s."), arg,
                      describe_type(y)))
      }
      bad <- y < 0 | y != round(y) | y > 1e150
      if (any(bad)) {
        abort(sprintf(paste0("The poisson family needs counts (non-negative ",
                             "whole numbers up to 1e150) in `%s`; %s."), arg,
                      first_bad(bad)))
      }
      list(y = as.double(y), levels = NULL)
    },
    binomial = {
      if (is.factor(y)) {
        lev <- levels %||% levels(y)
        if (nlevels(y) != 2L && is.null(levels)) {
          abort(sprintf(paste0("The binomial family needs a factor `%s` ",
                               "with 2 levels, not %d."), arg, nlevels(y)))
        }
        check_levels(y, lev, arg)
        list(y = as.double(match(as.character(y), lev) - 1L), levels = lev)
      } else if (is.logical(y)) {
        list(y = as.double(y), levels = levels)
      } else if (is.numeric(y) && !is.object(y)) {
        if (!all(y %in% c(0, 1))) {
          abort(sprintf(paste0("The binomial family needs `%s` as 0/1, ",
                               "logical or a 2-level factor; %s."), arg,
                        first_bad(!y %in% c(0, 1))))
        }
        list(y = as.double(y), levels = levels)
      } else {
        abort(sprintf(paste0("The binomial family needs `%s` as 0/1, ",
                             "logical or a 2-level factor, not %s."), arg,
                      describe_type(y)))
      }
    },
    multinomial = {
      if (!is.factor(y)) {
        abort(sprintf("The multinomial family needs a factor `%s`, not %s.",
                      arg, describe_type(y)))
      }
      lev <- levels %||% levels(y)
      if (length(lev) < 3L) {
        abort(sprintf(paste0("The multinomial family needs a factor `%s` ",
                             "with at least 3 levels, not %d; use the ",
                             "binomial family for 2."), arg, length(lev)))
      }
      check_levels(y, lev, arg)
      list(y = as.double(match(as.character(y), lev) - 1L), levels = lev)
    }
  )
}

check_levels <- function(y, levels, arg) {
  unseen <- setdiff(unique(as.character(y)), levels)
  if (length(unseen)) {
    abort(sprintf("`%s` has level(s) %s not seen in the training data.",
                  arg, paste0("'", unseen, "'", collapse = ", ")))
  }
}

`%||%` <- function(a, b) if (is.null(a)) b else a
