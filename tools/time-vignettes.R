# Renders vignettes against the bbb installed in the library BBB_LIB and
# prints, per vignette, the CPU time of the rendering R process (user +
# system; on a busy machine a truer measure of the time on an idle core
# than the elapsed time, which is printed too) and the CPU time of its
# slowest chunks. Output goes to a temporary directory.
#   BBB_LIB=$(bash scripts/install.sh) Rscript tools/time-vignettes.R \
#     vignettes/bbb.Rmd vignettes/uncertainty.Rmd
files <- commandArgs(trailingOnly = TRUE)
if (!length(files)) stop("give the vignettes to render")
.libPaths(c(Sys.getenv("BBB_LIB"), .libPaths()))
out <- tempfile("vignettes")
dir.create(out)
for (f in files) {
  times <- numeric(0)
  knitr::knit_hooks$set(cpu_time = function(before, options) {
    now <- proc.time()
    if (before) {
      started <<- now
    } else {
      used <- now - started
      times[options$label] <<- used[[1]] + used[[2]]
    }
    NULL
  })
  started <- NULL
  knitr::opts_chunk$set(cpu_time = TRUE)
  t0 <- proc.time()
  # a fresh environment per vignette, as R CMD build gives
  rmarkdown::render(f, output_dir = out, quiet = TRUE,
                    envir = new.env(parent = globalenv()))
  used <- proc.time() - t0
  cat(sprintf("%s: %.1f s CPU (%.1f s in chunks), %.1f s elapsed\n",
              basename(f), used[[1]] + used[[2]], sum(times), used[[3]]))
  top <- utils::head(sort(times, decreasing = TRUE), 5)
  cat(sprintf("  %-20s %6.1f s\n", names(top), top), sep = "")
}
unlink(out, recursive = TRUE)
