# Runs the testthat suite of the bbb installed in the library given by
# BBB_LIB, on the test folder given as the first argument. BBB_TEST_FILTER
# (a regular expression on the test file names, as testthat's `filter`)
# selects a subset. Prints "N passed, N failed, N skipped" and exits
# non-zero if a test failed or errored. BBB_TEST_EXCLUDE (a regular
# expression on the same names) leaves files out.
args <- commandArgs(trailingOnly = TRUE)
test_dir <- args[[1L]]
.libPaths(c(Sys.getenv("BBB_LIB"), .libPaths()))
# Test files by context name (test-NAME.R), selected by BBB_TEST_FILTER and
# BBB_TEST_EXCLUDE (regular expressions on NAME).
contexts <- sub("^test-?(.*)\\.[rR]$", "\\1",
                list.files(test_dir, "^test.*\\.[rR]$"))
include <- Sys.getenv("BBB_TEST_FILTER")
exclude <- Sys.getenv("BBB_TEST_EXCLUDE")
keep <- contexts
if (nzchar(include)) keep <- grep(include, keep, value = TRUE)
if (nzchar(exclude)) keep <- grep(exclude, keep, value = TRUE, invert = TRUE)
if (!length(keep)) stop("no test file selected")
filter <- if (length(keep) < length(contexts)) {
  paste0("^(", paste(gsub("([][{}()+*^$|\\\\?.])", "\\\\\\1", keep),
                     collapse = "|"), ")$")
}
cat("test files:", paste(keep, collapse = ", "), "\n")
started <- proc.time()[["elapsed"]]
res <- testthat::test_dir(test_dir, package = "bbb",
                          load_package = "installed", filter = filter,
                          reporter = testthat::ProgressReporter$new(
                            show_praise = FALSE, min_time = 0,
                            update_interval = 3600),
                          stop_on_failure = FALSE, stop_on_warning = FALSE)
df <- as.data.frame(res)
took <- proc.time()[["elapsed"]] - started
by_file <- tapply(df$real, df$file, sum)
cat("\nSeconds per test file:\n")
print(round(sort(by_file, decreasing = TRUE), 1))
n_failed <- sum(df$failed) + sum(df$error)
cat(sprintf("test files: %d, test time: %.0f s\n", length(by_file), took))
# The totals last: CI reads them from the final line.
cat(sprintf("\n%d passed, %d failed, %d skipped\n", sum(df$passed),
            n_failed, sum(df$skipped)))
quit(status = if (n_failed > 0 || nrow(df) == 0) 1L else 0L)
