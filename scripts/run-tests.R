# Runs tests/testthat against the installed bbb and prints the totals, by
# test, as "N passed, N failed[, N skipped]"; exits non-zero on failure.
library(testthat)
res <- test_dir("tests/testthat", package = "bbb", load_package = "installed",
                reporter = ProgressReporter$new(show_praise = FALSE),
                stop_on_failure = FALSE)
df <- as.data.frame(res)
failed <- sum(df$failed > 0 | df$error)
skipped <- sum(df$skipped & !(df$failed > 0 | df$error))
passed <- nrow(df) - failed - skipped
cat(sprintf("%d passed, %d failed%s\n", passed, failed,
            if (skipped > 0) sprintf(", %d skipped", skipped) else ""))
quit(status = if (failed > 0) 1L else 0L)
