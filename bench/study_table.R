# The tables of bench/README.md's study of the defaults, from the CSVs that
# bench/uci_study.sh writes: test log-likelihood (regression) and log loss
# (classification) by data set and variant, then the test RMSE.
#
#   Rscript bench/study_table.R
dir <- file.path(local({
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(sub("^--file=", "", arg[1L])) else "bench"
}), "results", "study")
variants <- c("mixture", "empirical_bayes", "gaussian_1", "lr_0.01",
              "batch_32", "no_warm_up", "heteroscedastic")
sets <- c("boston", "concrete", "energy", "yacht", "wine", "sonar",
          "ionosphere", "pima", "glass", "vehicle")
metric <- function(variant, name) {
  d <- utils::read.csv(file.path(dir, paste0("uci_", variant, ".csv")))
  out <- stats::setNames(rep(NA_real_, length(sets)), sets)
  if (name %in% names(d)) {
    keep <- !is.na(d[[name]]) & d$dataset %in% sets
    out[d$dataset[keep]] <- d[[name]][keep]
  }
  out
}
table <- function(title, rows, values) {
  cat("| ", title, " | ", paste(variants, collapse = " | "), " |\n|",
      strrep("---|", length(variants) + 1L), "\n", sep = "")
  for (s in rows) {
    v <- formatC(values[s, ], 3, format = "f")
    cat("| ", s, " | ", paste(ifelse(is.na(values[s, ]), "", v),
                              collapse = " | "), " |\n", sep = "")
  }
  cat("\n")
}
score <- sapply(variants, function(v) {
  ll <- metric(v, "log_lik")
  ll[is.na(ll)] <- metric(v, "log_loss")[is.na(ll)]
  ll
})
table("log-lik / log loss", sets, score)
table("RMSE", sets[1:5], sapply(variants, metric, name = "rmse")[1:5, ])
