# Helpers shared by bench/boston.R and bench/mnist.R, which source this file
# from their own folder.

# A number from the environment variable `name`, or `default` if unset.
env_num <- function(name, default) {
  v <- Sys.getenv(name, "")
  if (nzchar(v)) as.numeric(v) else default
}

# The folder of the running script (bench/ of the package sources).
script_dir <- function() {
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(normalizePath(sub("^--file=", "", arg[1L])))
  else file.path(getwd(), "bench")
}

# A data frame as CSV, numbers to 4 significant digits.
write_csv <- function(d, path) {
  num <- vapply(d, is.double, NA)
  d[num] <- lapply(d[num], signif, 4L)
  utils::write.csv(d, path, row.names = FALSE)
}

# Puts `rows` in place of the rows of the benchmarks `benchmarks` in
# inst/extdata/benchmarks.csv, the file the "Benchmarks" vignette reads;
# the other benchmarks' rows are kept.
update_shipped <- function(rows, benchmarks) {
  shipped <- file.path(dirname(script_dir()), "inst", "extdata",
                       "benchmarks.csv")
  old <- if (file.exists(shipped)) utils::read.csv(shipped) else NULL
  old <- old[!old$benchmark %in% benchmarks, , drop = FALSE]
  write_csv(rbind(old, rows), shipped)
  cat("Updated", shipped, "\n")
}
