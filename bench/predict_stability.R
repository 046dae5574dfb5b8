# How much predict()'s summaries move between seeds, and what a default
# call costs. Two fits, each made with bbb_fit()'s defaults:
#
# - Boston: medv ~ . on MASS::Boston (506 rows), predicted on its own rows;
#   the posterior means of two seeds are compared in units of sd(medv)
#   (the criterion: within 1% on every row), and so are the bounds of the
#   95% prediction interval;
# - the seed question (the package's founding question: 100 rows of 3
#   standard normal inputs, Bernoulli(0.6) labels independent of them, the
#   default hidden = 32): the most probable class of 2000 new rows (the
#   criterion: it flips on well under 1% of them).
#
# For each number of draws (the default, NULL, and a few others for
# comparison) BBB_STABILITY_PAIRS pairs of seeds (1 vs 2, 3 vs 4, ...) are
# compared; the time of one call and the memory it allocates at its peak
# (R's "max used" of gc(), beyond what was in use before) are recorded.
#
# Run from the package source directory, with bbb and MASS installed:
#
#   Rscript bench/predict_stability.R
#
# Environment variables: BBB_STABILITY_PAIRS (5), BBB_STABILITY_DRAWS
# (comma-separated numbers of draws to compare with the default; "1000,
# 5000"), BBB_RESULTS (bench/results). Output:
# bench/results/predict_stability.csv, one row per problem, number of
# draws and pair, and predict_stability_row.csv: Boston's row 381 alone
# over BBB_STABILITY_ROW_PAIRS (30) pairs of seeds. One core: about 5
# minutes.

library(bbb)
source(file.path(local({
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(normalizePath(sub("^--file=", "", arg[1L])))
  else file.path(getwd(), "bench")
}), "common.R"))

pairs <- env_num("BBB_STABILITY_PAIRS", 5)
draws <- Sys.getenv("BBB_STABILITY_DRAWS", "1000,5000")
draws <- c(list(NULL), as.list(as.integer(strsplit(draws, ",")[[1L]])))
out_dir <- Sys.getenv("BBB_RESULTS", file.path(script_dir(), "results"))
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

# Seconds and peak megabytes (R's heap beyond what was in use) of `expr`.
measure <- function(expr) {
  invisible(gc(reset = TRUE))
  before <- sum(gc()[, 2L])
  started <- proc.time()[["elapsed"]]
  value <- force(expr)
  took <- proc.time()[["elapsed"]] - started
  peak <- sum(gc()[, 6L]) - before
  list(value = value, seconds = took, peak_mb = peak)
}

boston <- MASS::Boston
set.seed(1)
fit_boston <- bbb_fit(medv ~ ., data = boston, verbose = FALSE)
sd_y <- stats::sd(boston$medv)

set.seed(2021)
x <- matrix(stats::rnorm(300), 100, 3)
y <- stats::rbinom(100, 1, 0.6)
fit_seed <- bbb_fit(x, y, verbose = FALSE)
new_x <- matrix(stats::rnorm(6000), 2000, 3)

rows <- list()
for (ns in draws) {
  label <- if (is.null(ns)) "default" else format(ns)
  for (p in seq_len(pairs)) {
    s <- c(2 * p - 1, 2 * p)
    a <- measure(predict(fit_boston, boston, interval = "prediction",
                         nsamples = ns, seed = s[1]))
    b <- predict(fit_boston, boston, interval = "prediction", nsamples = ns,
                 seed = s[2])
    d_mean <- abs(a$value[, "fit"] - b[, "fit"]) / sd_y
    d_bound <- abs(a$value[, c("lwr", "upr")] - b[, c("lwr", "upr")]) / sd_y
    rows[[length(rows) + 1L]] <- data.frame(
      problem = "boston", nsamples = label,
      draws_used = if (is.null(ns)) bbb:::default_nsamples(fit_boston) else
        ns,
      pair = paste(s, collapse = "-"), rows = nrow(boston),
      max_mean_diff_sd = max(d_mean), median_mean_diff_sd = median(d_mean),
      max_bound_diff_sd = max(d_bound), flipped = NA_real_,
      flipped_share = NA_real_, seconds = a$seconds, peak_mb = a$peak_mb)
    a <- measure(predict(fit_seed, new_x, type = "class", nsamples = ns,
                         seed = s[1]))
    b <- predict(fit_seed, new_x, type = "class", nsamples = ns,
                 seed = s[2])
    pa <- predict(fit_seed, new_x, nsamples = ns, seed = s[1])
    pb <- predict(fit_seed, new_x, nsamples = ns, seed = s[2])
    flips <- sum(a$value != b)
    rows[[length(rows) + 1L]] <- data.frame(
      problem = "seed_question", nsamples = label,
      draws_used = if (is.null(ns)) bbb:::default_nsamples(fit_seed) else ns,
      pair = paste(s, collapse = "-"), rows = nrow(new_x),
      max_mean_diff_sd = max(abs(pa - pb)),
      median_mean_diff_sd = median(abs(pa - pb)), max_bound_diff_sd = NA,
      flipped = flips, flipped_share = flips / nrow(new_x),
      seconds = a$seconds, peak_mb = a$peak_mb)
    cat(sprintf("%-8s pair %-5s boston max %.4f sd, seed question %d flips\n",
                label, paste(s, collapse = "-"),
                rows[[length(rows) - 1L]]$max_mean_diff_sd, flips))
  }
}
res <- do.call(rbind, rows)
# (for the seed question the "mean" columns are differences of the
# probability of class 1, not in units of an sd)
write_csv(res, file.path(out_dir, "predict_stability.csv"))
# the worst pair of each problem and number of draws
worst <- do.call(rbind, lapply(split(res, list(res$problem, res$nsamples),
                                     drop = TRUE), function(d) {
  data.frame(problem = d$problem[1L], nsamples = d$nsamples[1L],
             draws_used = d$draws_used[1L],
             max_mean_diff = max(d$max_mean_diff_sd),
             max_bound_diff_sd = max(d$max_bound_diff_sd),
             max_flipped_share = max(d$flipped_share),
             max_seconds = max(d$seconds), max_peak_mb = max(d$peak_mb))
}))
print(worst, digits = 3, row.names = FALSE)

# The row that differs most (Boston's row 381, crim = 89) alone, over many
# pairs of seeds: how often its mean moves by more than 1% of sd(medv).
row_pairs <- env_num("BBB_STABILITY_ROW_PAIRS", 30)
one <- boston[381, , drop = FALSE]
row_res <- do.call(rbind, lapply(c(list(NULL), list(20000L)), function(ns) {
  m <- vapply(seq_len(2 * row_pairs), function(s) {
    predict(fit_boston, one, nsamples = ns, seed = 1000 + s)
  }, 0)
  d <- (m[c(TRUE, FALSE)] - m[c(FALSE, TRUE)]) / sd_y
  data.frame(row = 381, nsamples = if (is.null(ns)) "default" else
    format(ns), pairs = row_pairs, share_over_1pct = mean(abs(d) > 0.01),
    max_mean_diff_sd = max(abs(d)), sd_mean_diff_sd = stats::sd(d))
}))
print(row_res, digits = 3, row.names = FALSE)
write_csv(row_res, file.path(out_dir, "predict_stability_row.csv"))
cat("Wrote", file.path(out_dir, "predict_stability.csv"), "\n")
