# One configuration of the speed comparison (speed_configs.R) timed in the
# bbb installed in a given library, for comparing two builds side by side
# (run them interleaved, several times):
#
#   Rscript bench/time_config.R LIB CONFIG PRECISION THREADS EPOCHS REPS
#   LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 \
#     Rscript bench/time_config.R ...         # on OpenBLAS
#
# BBB_GEMM=blas sets options(bbb.gemm = "blas"). Prints the medians of REPS
# whole bbb_fit() calls of EPOCHS epochs (an epoch of (a) is one step) per
# epoch, in wall-clock and in process CPU time (the latter less sensitive
# to other load on a shared machine).
args <- commandArgs(TRUE)
.libPaths(c(args[1], .libPaths()))
suppressPackageStartupMessages(library(bbb))
source(file.path(dirname(sub("^--file=", "", grep("^--file=",
  commandArgs(FALSE), value = TRUE)[1L])), "speed_configs.R"))
if (nzchar(Sys.getenv("BBB_GEMM"))) options(bbb.gemm = Sys.getenv("BBB_GEMM"))
config <- args[2]
precision <- args[3]
threads <- as.integer(args[4])
epochs <- as.integer(args[5])
reps <- as.integer(args[6])
set.seed(42)
spec <- speed_spec(config)
x <- speed_x(spec)
y <- speed_y(spec)
invisible(speed_fit(spec, x, y, 1, precision, threads))
el <- cpu <- numeric(reps)
for (r in seq_len(reps)) {
  t <- system.time(speed_fit(spec, x, y, epochs, precision, threads))
  el[r] <- t[["elapsed"]]
  cpu[r] <- t[["user.self"]] + t[["sys.self"]]
}
cat(sprintf("%s %s %s, %d thread(s), gemm %s, BLAS %s: wall %.4g s, cpu %.4g s per epoch\n",
            basename(args[1]), config, precision, threads,
            getOption("bbb.gemm", "own"),
            basename(extSoftVersion()[["BLAS"]]), median(el) / epochs,
            median(cpu) / epochs))
