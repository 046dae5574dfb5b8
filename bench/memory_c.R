# Where the memory of a config (c) fit goes: one epoch in single precision
# on 2 threads (as bench.R's best setting), the resident memory before the
# fit and its peak, R's heap at its largest during the fit (gc()'s "max
# used"), and R's allocations of 1 MB or more during the fit by the
# function that made them (Rprofmem; needs an R built with memory
# profiling, as Debian's is):
#
#   Rscript bench/memory_c.R              # with the row copy (the default)
#   Rscript bench/memory_c.R norow        # options(bbb.row_copy = FALSE)
#
# The last line is JSON for bench.R: the peak, the data's size and the
# difference (MiB). This is the issue's measure of memory: one 1-epoch fit
# in a fresh process.
args <- commandArgs(TRUE)
suppressPackageStartupMessages(library(bbb))
source(file.path(dirname(sub("^--file=", "", grep("^--file=",
  commandArgs(FALSE), value = TRUE)[1L])), "speed_configs.R"))
if (length(args) && args[1] == "norow") options(bbb.row_copy = FALSE)
rss <- function(field) {
  as.numeric(gsub("[^0-9]", "", grep(paste0("^", field, ":"),
    readLines("/proc/self/status"), value = TRUE))) / 1024
}
set.seed(42)
spec <- speed_spec("c")
x <- speed_x(spec)
y <- speed_y(spec)
g0 <- gc(reset = TRUE)
before <- rss("VmRSS")
log <- tempfile()
Rprofmem(log, threshold = 1e6)
fit <- speed_fit(spec, x, y, 1, "single", 2L)
Rprofmem(NULL)
g1 <- gc()
cat(sprintf(paste0("data %.0f MiB; resident before the fit %.0f MiB, peak %.0f ",
                   "MiB (%.0f MiB beyond the data); R heap at most %.0f MiB ",
                   "during the fit, %.0f before\n"),
            as.numeric(object.size(x)) / 2^20, before, rss("VmHWM"),
            rss("VmHWM") - as.numeric(object.size(x)) / 2^20, g1[2, 6],
            g0[2, 2]))
m <- readLines(log)
size <- as.numeric(sub(" :.*", "", m))
where <- vapply(strsplit(sub("^[0-9]+ :", "", m), " "), function(s) {
  s <- gsub('"', "", s)
  paste(utils::head(s[nzchar(s)], 2), collapse = " < ")
}, "")
by <- sort(tapply(size, where, sum) / 2^20, decreasing = TRUE)
cat("allocations of 1 MB or more during the fit (MiB, by caller):\n")
print(round(utils::head(by, 12), 1))
cat(sprintf(paste0('{"peak_rss_mb": %.1f, "data_mb": %.1f, "beyond_mb": ',
                   '%.1f, "row_copy": "%s"}\n'), rss("VmHWM"),
            as.numeric(object.size(x)) / 2^20,
            rss("VmHWM") - as.numeric(object.size(x)) / 2^20,
            if (isTRUE(getOption("bbb.row_copy", TRUE))) "yes" else "no"))
