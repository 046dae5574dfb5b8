# threads = 2 against threads = 1 with another busy process on one of the
# cores (issue 13's contention target: at most 1.5 times as long):
#
#   Rscript bench/contention.R            # BENCH_REPS=5
#
# Starts a busy loop pinned to the last core (taskset; the script's own
# process is left free to run on any core), then times bbb_fit() with 1
# and 2 threads, alternating, on two problems: the issue's (5000 x 10 ->
# 64 -> 64, 10 epochs, batches of 128: small steps, a synchronisation costs
# more than the work) and a config (c)-like one (12,800 x 784 -> 400 ->
# 400 -> 10, 1 epoch of 100 steps of 128, single precision: large steps).
# Then the same without the busy process. Prints the medians and the
# ratios, and one JSON line (also written to bench/results/
# contention.json). The busy process is stopped at the end (also on an
# error). Run it on an otherwise idle machine: other load is contention
# too.
reps <- as.integer(Sys.getenv("BENCH_REPS", "5"))
suppressPackageStartupMessages(library(bbb))
cores <- parallel::detectCores()
if (cores < 2) stop("needs two cores or more")
if (!nzchar(Sys.which("taskset"))) stop("needs taskset (util-linux)")

busy_start <- function() {
  pid_file <- tempfile()
  # a shell loop pinned to the last core; its pid written for the stop
  system2("sh", c("-c", shQuote(sprintf(
    "taskset -c %d sh -c 'while :; do :; done' & echo $! > %s",
    cores - 1, pid_file))), wait = TRUE)
  Sys.sleep(0.2)
  as.integer(readLines(pid_file))
}
busy_stop <- function(pid) tools::pskill(pid)

set.seed(1)
problems <- list(
  small = local({
    x <- matrix(stats::rnorm(5000 * 10), 5000, 10)
    y <- x[, 1] - x[, 2]^2 + stats::rnorm(5000)
    function(threads) {
      bbb_fit(x, y, hidden = c(64, 64), epochs = 10, batch_size = 128,
              threads = threads, verbose = FALSE)
    }
  }),
  large = local({
    x <- matrix(stats::rnorm(12800 * 784), 12800, 784)
    y <- factor(sample(0:9, 12800, TRUE))
    function(threads) {
      bbb_fit(x, y, hidden = c(400, 400), epochs = 1, batch_size = 128,
              precision = "single", standardize = FALSE, keep_data = FALSE,
              threads = threads, verbose = FALSE)
    }
  })
)

time_fit <- function(f, threads) {
  system.time(f(threads))[["elapsed"]]
}

measure <- function(label) {
  out <- list()
  for (name in names(problems)) {
    f <- problems[[name]]
    f(1L) # warm up
    t <- matrix(NA_real_, reps, 2)
    for (r in seq_len(reps)) for (th in 1:2) t[r, th] <- time_fit(f, th)
    med <- apply(t, 2, stats::median)
    cat(sprintf("%-15s %-6s 1 thread %7.3f s, 2 threads %7.3f s: ratio %.2f\n",
                label, name, med[1], med[2], med[2] / med[1]))
    out[[name]] <- c(one = med[1], two = med[2], ratio = med[2] / med[1])
  }
  out
}

pid <- busy_start()
res_busy <- tryCatch(measure("one core busy"), finally = busy_stop(pid))
res_idle <- measure("idle")
fmt <- function(res, tag) {
  paste(vapply(names(res), function(n) {
    sprintf('"%s_%s_1": %.4g, "%s_%s_2": %.4g, "%s_%s_ratio": %.3g', tag,
            n, res[[n]][["one"]], tag, n, res[[n]][["two"]], tag, n,
            res[[n]][["ratio"]])
  }, ""), collapse = ", ")
}
json <- paste0("{", fmt(res_busy, "busy"), ", ", fmt(res_idle, "idle"),
               ", ", sprintf('"loadavg_1min": %s, "run": "%s"',
                             strsplit(readLines("/proc/loadavg"), " ")[[1]][1],
                             format(Sys.time(), "%Y-%m-%d %H:%M UTC",
                                    tz = "UTC")), "}")
cat(json, "\n", sep = "")
# kept with the other results (bench/results/contention.json, or the
# folder BENCH_RESULTS names, as for bench.R)
out_dir <- Sys.getenv("BENCH_RESULTS", file.path(dirname(sub("^--file=", "",
  grep("^--file=", commandArgs(FALSE), value = TRUE)[1L])), "results"))
if (dir.exists(out_dir)) writeLines(json, file.path(out_dir, "contention.json"))
