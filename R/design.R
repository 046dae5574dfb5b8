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
    chr <- vapply(x, is.character, NA)
    if (any(chr)) {
      abort(sprintf(paste0("Column '%s' of `x` is character; convert it ",
                           "to a factor (or numbers) first."),
                    names(x)[chr][1L]))
    }
    terms <- stats::terms(~ ., data = x)
    d <- frame_design(terms, x)
    prep <- list(terms = terms, xlevels = d$xlevels)
    x <- d$x
  } else if (is.matrix(x) || is.numeric(x)) {
    if (!is.matrix(x)) x <- matrix(x, ncol = 1L)
    if (!is.numeric(x)) {
      abort("`x` must be a numeric matrix or a data frame, not a ",
            typeof(x), " matrix.")
    }
    if (is.null(colnames(x))) colnames(x) <- paste0("x", seq_len(ncol(x)))
    storage.mode(x) <- "double"
    prep <- list(terms = NULL)
  } else {
    abort("`x` must be a numeric matrix or a data frame, not ",
          describe(x), ".")
  }
  if (ncol(x) < 1L) abort("`x` must have at least one column.")
  check_design(x)
  prep$names <- colnames(x)
  prep$center <- rep(0, ncol(x))
  prep$scale <- rep(1, ncol(x))
  if (standardize) {
    prep$center <- colMeans(x)
    prep$scale <- sqrt(colSums(sweep(x, 2L, prep$center)^2) / (nrow(x) - 1))
    const <- prep$scale < 1e-12 * pmax(1, abs(prep$center))
    if (any(const)) {
      abort(sprintf(paste0("Column '%s' of `x` is constant, so it cannot ",
                           "be standardized; drop it or set ",
                           "`standardize = FALSE`."), colnames(x)[const][1]))
    }
  }
  list(prep = prep, x = scale_inputs(x, prep))
}

scale_inputs <- function(x, prep) {
  x <- sweep(sweep(x, 2L, prep$center), 2L, prep$scale, "/")
  dimnames(x) <- list(NULL, prep$names)
  x
}

# The engine's design for new data, by the preprocessing of a fit.
new_design <- function(prep, newdata, arg = "newdata") {
  if (!is.null(prep$terms)) {
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
    for (v in names(prep$xlevels)) {
      new_lev <- setdiff(unique(as.character(newdata[[v]])),
                         c(prep$xlevels[[v]], NA))
      if (length(new_lev)) {
        abort(sprintf(paste0("Column '%s' of `%s` has level(s) %s not seen ",
                             "in the training data."), v, arg,
                      paste0("'", new_lev, "'", collapse = ", ")))
      }
    }
    x <- frame_design(prep$terms, newdata, prep$xlevels)$x
  } else {
    if (is.data.frame(newdata)) newdata <- as.matrix(newdata)
    if (!is.numeric(newdata)) {
      abort(sprintf("`%s` must be a numeric matrix, not %s.", arg,
                    describe(newdata)))
    }
    if (!is.matrix(newdata)) {
      newdata <- matrix(newdata, ncol = length(prep$names))
    }
    if (!is.null(colnames(newdata)) && all(prep$names %in%
                                           colnames(newdata))) {
      newdata <- newdata[, prep$names, drop = FALSE]
    } else if (ncol(newdata) != length(prep$names)) {
      abort(sprintf("`%s` must have %d column(s) (%s), not %d.", arg,
                    length(prep$names), paste(prep$names, collapse = ", "),
                    ncol(newdata)))
    }
    x <- newdata
    storage.mode(x) <- "double"
  }
  if (nrow(x) < 1L) abort(sprintf("`%s` has no rows.", arg))
  bad <- !is.finite(x)
  if (any(bad)) {
    abort(sprintf(paste0("`%s` must be finite: it has %d NA, NaN or Inf ",
                         "value(s), the first in row %d."), arg, sum(bad),
                  which(bad, arr.ind = TRUE)[1L, 1L]))
  }
  scale_inputs(x, prep)
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
  if (anyNA(y) || (is.numeric(y) && any(!is.finite(y)))) {
    abort(sprintf(paste0("`%s` must not contain NA, NaN or Inf (found at ",
                         "position %d)."), arg,
                  which(is.na(y) | !is.finite(as.numeric(y)))[1L]))
  }
  switch(family,
    gaussian = {
      if (!is.numeric(y)) {
        abort(sprintf("The gaussian family needs a numeric `%s`, not %s.",
                      arg, class(y)[1L]))
      }
      if (any(abs(y) > 1e150)) {
        abort(sprintf("`%s` has values beyond 1e150; rescale it.", arg))
      }
      list(y = as.double(y), levels = NULL)
    },
    poisson = {
      if (!is.numeric(y) || any(y < 0) || any(y != round(y))) {
        abort(sprintf(paste0("The poisson family needs non-negative whole ",
                             "numbers in `%s`."), arg))
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
      } else if (is.numeric(y) && all(y %in% c(0, 1))) {
        list(y = as.double(y), levels = levels)
      } else {
        abort(sprintf(paste0("The binomial family needs `%s` as 0/1, ",
                             "logical or a 2-level factor."), arg))
      }
    },
    multinomial = {
      if (!is.factor(y)) {
        abort(sprintf("The multinomial family needs a factor `%s`.", arg))
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
