# Time of the scan of a design for non-finite and huge values, on a
# 60,000 x 784 design (the size of config c): bbb_fit() makes it once, and
# each engine call once more.
#
#   Rscript bench/scan_cost.R
suppressPackageStartupMessages(library(bbb))
set.seed(1)
x <- rnorm(60000 * 784)
times <- replicate(20, system.time(
  .Call(bbb:::C_bbb_scan, x, 1e150))[["elapsed"]])
cat(sprintf("scan of %d values: median %.1f ms, fastest %.1f ms\n",
            length(x), 1e3 * median(times), 1e3 * min(times)))
