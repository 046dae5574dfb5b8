# bbb_cv() and bbb_ensemble() under plan(sequential) and
# plan(multisession, workers = 2), side by side: elapsed seconds of each
# call (median of `reps` runs, plans alternating), their ratio, and whether
# the results are identical. Writes bench/results/futures.csv.
#
#   Rscript bench/futures.R [reps]
#
# The workers are started, and bbb loaded in them, before the timed runs
# (one untimed call), so the times are those of a session that has set
# its plan once. Run it on an otherwise idle machine: with two workers on
# two cores, any other load shows up in the ratio.
suppressPackageStartupMessages(library(bbb))
if (!requireNamespace("future", quietly = TRUE)) stop("needs future")
args <- commandArgs(trailingOnly = TRUE)
reps <- if (length(args)) as.integer(args[1L]) else 3L

set.seed(42)
n <- 4000L
x <- matrix(stats::rnorm(n * 8L), n, 8L,
            dimnames = list(NULL, paste0("x", 1:8)))
y <- sin(x[, 1]) + x[, 2] * x[, 3] + stats::rnorm(n, sd = 0.3)
fit_args <- list(hidden = c(64L, 64L), epochs = 200L, batch_size = 64L)

jobs <- list(
  cv = function() {
    set.seed(1)
    do.call(bbb_cv, c(list(x, y, folds = 4L, nsamples = 200L), fit_args))
  },
  ensemble = function() {
    set.seed(1)
    do.call(bbb_ensemble, c(list(x, y = y, members = 4L), fit_args))
  }
)
# What must not depend on the plan.
fingerprint <- function(res) {
  if (inherits(res, "bbb_cv")) res$folds else
    lapply(res$fits, `[[`, "params")
}

plans <- list(
  sequential = function() future::plan("sequential"),
  multisession = function() future::plan("multisession", workers = 2L)
)
# The machine's load (1-minute average, Linux) around the timed runs: with
# two workers on two cores, other processes slow the parallel runs most.
load_avg <- function() {
  if (file.exists("/proc/loadavg")) {
    as.numeric(strsplit(readLines("/proc/loadavg"), " ")[[1L]][1L])
  } else {
    NA_real_
  }
}
times <- list()
prints <- list()
for (p in names(plans)) {
  plans[[p]]()
  invisible(jobs$ensemble())    # warm-up: start workers, load bbb
  for (j in names(jobs)) prints[[paste(p, j)]] <- fingerprint(jobs[[j]]())
}
load_before <- load_avg()
for (r in seq_len(reps)) {
  for (p in names(plans)) {
    plans[[p]]()
    for (j in names(jobs)) {
      t <- system.time(jobs[[j]]())[["elapsed"]]
      times[[length(times) + 1L]] <- data.frame(rep = r, plan = p, job = j,
                                                seconds = t)
    }
  }
}
# Concurrency alone, whatever share of the cores the machine gives: two
# tasks that each wait 2 s of elapsed time (busy), through the same
# runner as bbb_cv() and bbb_ensemble().
busy <- function(task) {
  t0 <- proc.time()[["elapsed"]]
  while (proc.time()[["elapsed"]] - t0 < 2) NULL
  TRUE
}
future::plan("multisession", workers = 2L)
invisible(bbb:::run_tasks(list(1, 2), busy))
two_busy <- system.time(bbb:::run_tasks(list(1, 2), busy))[["elapsed"]]
future::plan("sequential")
times <- do.call(rbind, times)
med <- stats::aggregate(seconds ~ plan + job, times, stats::median)
wide <- stats::reshape(med, idvar = "job", timevar = "plan",
                       direction = "wide")
names(wide) <- sub("^seconds[.]", "", names(wide))
wide$speedup <- round(wide$sequential / wide$multisession, 2)
wide$identical <- vapply(wide$job, function(j) {
  identical(prints[[paste("sequential", j)]],
            prints[[paste("multisession", j)]])
}, NA)
wide$reps <- reps
wide$cores <- parallel::detectCores()
wide$load_before <- load_before
wide$load_after <- load_avg()
wide$two_2s_tasks_multisession <- round(two_busy, 2)
print(wide, row.names = FALSE)
dir.create("bench/results", showWarnings = FALSE, recursive = TRUE)
utils::write.csv(wide, "bench/results/futures.csv", row.names = FALSE)
