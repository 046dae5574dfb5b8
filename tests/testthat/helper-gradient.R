# Finite-difference check of bbb_gradient(): for every mu and rho (and the
# log noise sd of a gaussian fit), a central difference at fixed noise,
# refined by Richardson extrapolation, compared with the analytic gradient.
# The spike of the mixture prior (sd exp(-6)) and relu kinks make any one
# step size inaccurate for some parameters, so steps 1e-4, 1e-3 and 1e-5
# are tried in turn and the best is kept: a wrong gradient fails at all.
# Returns the largest relative error |fd - an| / max(|fd|, |an|, 1e-3).
fd_max_rel_error <- function(fit, x, y, steps = c(1e-4, 1e-3, 1e-5)) {
  g <- bbb_gradient(fit, x, y)
  value <- function(f) bbb_gradient(f, x, y, g$eps)$value
  central <- function(set, h) (value(set(h)) - value(set(-h))) / (2 * h)
  rel <- function(fd, an) abs(fd - an) / max(abs(fd), abs(an), 1e-3)
  best <- function(set, an) {
    err <- Inf
    for (h in steps) {
      fd <- (4 * central(set, h / 2) - central(set, h)) / 3
      err <- min(err, rel(fd, an))
      if (err < 1e-7) break
    }
    err
  }
  worst <- 0
  for (l in seq_along(fit$params)) {
    for (nm in c("w_mu", "w_rho", "b_mu", "b_rho")) {
      v <- fit$params[[l]][[nm]]
      for (i in seq_along(v)) {
        set <- function(d) {
          f <- fit
          f$params[[l]][[nm]][i] <- v[i] + d
          f
        }
        worst <- max(worst, best(set, g$gradient[[l]][[nm]][i]))
      }
    }
  }
  if (isTRUE(fit$learn_noise)) {
    set <- function(d) {
      f <- fit
      f$tau <- fit$tau + d
      f
    }
    worst <- max(worst, best(set, g$tau))
  }
  worst
}
