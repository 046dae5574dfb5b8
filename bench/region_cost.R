# The cost of one parallel loop of the engine: 200 products of 64 x 64
# matrices (2^18 multiply-adds, the smallest product shared by threads)
# through the kernels' test entry, on 1 and on 2 threads, alternating:
#
#   Rscript bench/region_cost.R
#   OMP_WAIT_POLICY=passive Rscript bench/region_cost.R
#
# Prints ms a call. With OpenMP's threads, the second thread's cost on a
# busy machine is the wait for a time slice of the shared core; with the
# engine's own team (threads.c) it is a wake-up.
suppressPackageStartupMessages(library(bbb))
a <- matrix(stats::rnorm(64 * 64), 64)
b <- matrix(stats::rnorm(64 * 64), 64)
c <- matrix(0, 64, 64)
g <- function(th) {
  .Call(bbb:::C_bbb_gemm, a, b, c, FALSE, FALSE, FALSE, FALSE,
        as.integer(th), NULL)
}
for (th in c(1, 2, 1, 2)) {
  t <- system.time(for (i in 1:200) g(th))[["elapsed"]]
  cat(sprintf("threads %d: %.3f ms a call\n", th, 1000 * t / 200))
}
cat("load average:", readLines("/proc/loadavg"), "\n")
