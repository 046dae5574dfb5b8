# The bbb side of the speed comparison, one configuration per process (so
# that peak memory and the BLAS thread count are those of this run):
#
#   Rscript bench/bbb_run.R CONFIG THREADS PRECISION REPS WARMUP
#
# prints one JSON line: seconds per unit (step for a, epoch for b and c) for
# each rep (a whole bbb_fit() call, set-up included, divided by its 20000
# steps, 50 epochs or 3 epochs), their median and the median process CPU
# time per unit, the BLAS R uses, the peak resident memory of the process,
# the size of the data, and for b the time of predict() with 1000 draws on
# the 10,000 rows. The models and objectives are those of
# torch_reference.py (see README.md). bench.R chooses the BLAS of each run
# (LD_PRELOAD).
args <- commandArgs(trailingOnly = TRUE)
config <- args[1]
threads <- as.integer(args[2])
precision <- args[3]
reps <- as.integer(args[4])
warmup <- as.integer(args[5])
suppressPackageStartupMessages(library(bbb))
# BENCH_ROW_COPY=FALSE: no row-major copy of a large design (see ?bbb_fit)
options(bbb.row_copy = as.logical(Sys.getenv("BENCH_ROW_COPY", "TRUE")))

source(file.path(dirname(sub("^--file=", "", grep("^--file=",
  commandArgs(FALSE), value = TRUE)[1L])), "speed_configs.R"))

set.seed(42)
spec <- speed_spec(config)
x <- speed_x(spec)
baseline_mb <- as.numeric(gsub("[^0-9]", "", grep("^VmRSS:",
  readLines("/proc/self/status"), value = TRUE))) / 1024
y <- speed_y(spec)

fit_once <- function() {
  speed_fit(spec, x, y, spec$epochs, precision, threads)
}
elapsed <- function(expr) {
  t0 <- proc.time()[["elapsed"]]
  force(expr)
  proc.time()[["elapsed"]] - t0
}
fit <- NULL
for (i in seq_len(warmup)) fit <- fit_once()
per_unit <- if (spec$unit == "step") {
  spec$epochs * ceiling(spec$n / spec$batch)
} else {
  spec$epochs
}
# The previous fit is dropped before the next one starts, so that the peak
# memory is that of one fit (not of two alive at once, or of garbage not
# yet collected).
cpu <- numeric(reps)
times <- vapply(seq_len(reps), function(i) {
  fit <<- NULL
  invisible(gc())
  c0 <- sum(proc.time()[c("user.self", "sys.self")])
  t <- elapsed(fit <<- fit_once()) / per_unit
  cpu[i] <<- (sum(proc.time()[c("user.self", "sys.self")]) - c0) / per_unit
  t
}, 0)

out <- list(config = config, side = "bbb", threads = threads,
            precision = precision,
            blas_threads = Sys.getenv("OPENBLAS_NUM_THREADS", NA),
            blas = basename(extSoftVersion()[["BLAS"]]),
            unit = spec$unit, times = times, median = median(times),
            cpu_median = median(cpu),
            data_mb = as.numeric(object.size(x) + object.size(y)) / 2^20)

if (config == "b") {
  pt <- vapply(1:3, function(i) {
    elapsed(predict(fit, x, nsamples = 1000L))
  }, 0)
  out$predict_1000x10000_s <- median(pt)
}

status <- readLines("/proc/self/status")
hwm <- grep("^VmHWM:", status, value = TRUE)
out$peak_rss_mb <- as.numeric(gsub("[^0-9]", "", hwm)) / 1024
# resident memory with the data made, before any fit
out$before_fit_mb <- baseline_mb

fmt <- function(v) {
  if (is.character(v)) return(paste0('"', v, '"'))
  if (length(v) > 1) return(paste0("[", paste(signif(v, 6), collapse = ", "),
                                   "]"))
  if (is.na(v)) return("null")
  format(signif(v, 6))
}
cat("{", paste0('"', names(out), '": ', vapply(out, fmt, ""),
                collapse = ", "), "}\n", sep = "")
