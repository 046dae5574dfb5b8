# One long bbb_fit() of a configuration of the speed comparison
# (speed_configs.R), single precision, for a profiler:
#
#   perf record -F 4999 Rscript bench/profile.R a 200000   # steps of (a)
#   perf record -F 999 Rscript bench/profile.R c 3 2       # 3 epochs of (c),
#                                                          # 2 threads
#   perf report --no-children --sort symbol -g none
#
# Arguments: the configuration (a, b or c), the number of epochs (an epoch
# of (a) is one step) and optionally the threads (default 1). Prints the
# time per epoch. The data are made before the fit, and their share of the
# profile (R's rnorm, qnorm and unif_rand) is not the engine's.
args <- commandArgs(trailingOnly = TRUE)
config <- args[1]
epochs <- as.integer(args[2])
threads <- if (length(args) > 2) as.integer(args[3]) else 1L
suppressPackageStartupMessages(library(bbb))
source(file.path(dirname(sub("^--file=", "", grep("^--file=",
  commandArgs(FALSE), value = TRUE)[1L])), "speed_configs.R"))
set.seed(42)
spec <- speed_spec(config)
x <- speed_x(spec)
y <- speed_y(spec)
took <- system.time(
  speed_fit(spec, x, y, epochs, "single", threads))[["elapsed"]]
cat(sprintf("%s: %d epoch(s), %.4g s an epoch\n", config, epochs,
            took / epochs))
