# The tables of bench/README.md's UCI section, from the summary a full
# `Rscript bench/uci.R` writes (inst/extdata/uci.csv, or a file given as
# the argument): per data set and method, mean +- standard error over the
# splits, and the issue's targets checked for bbb.
#
#   Rscript bench/uci_table.R [path/to/uci.csv]
args <- commandArgs(TRUE)
path <- if (length(args)) args[1L] else file.path(local({
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(sub("^--file=", "", arg[1L])) else "bench"
}), "..", "inst", "extdata", "uci.csv")
u <- utils::read.csv(path)
cell <- function(v, s, digits = 3) {
  s <- rep_len(s, length(v))
  ifelse(is.na(v), "", ifelse(is.na(s) | s == 0,
    formatC(v, digits, format = "f"),
    paste(formatC(v, digits, format = "f"), "+-",
          formatC(s, digits, format = "f"))))
}
col <- function(d, name) if (name %in% names(d)) d[[name]] else NA
md <- function(d, cols) {
  cat("| ", paste(names(cols), collapse = " | "), " |\n|",
      strrep("---|", length(cols)), "\n", sep = "")
  body <- vapply(cols, function(f) f(d), character(nrow(d)))
  if (is.null(dim(body))) body <- matrix(body, 1L)
  cat(paste0("| ", apply(body, 1L, paste, collapse = " | "), " |"),
      sep = "\n")
  cat("\n")
}
reg <- u[u$task == "regression", ]
md(reg, list(
  data = function(d) d$dataset, method = function(d) d$method,
  `test RMSE` = function(d) cell(d$rmse, col(d, "rmse_se"), 2),
  `test log-lik` = function(d) cell(d$log_lik, col(d, "log_lik_se"), 2),
  `50% cover` = function(d) cell(col(d, "coverage_50"), NA, 2),
  `95% cover` = function(d) cell(col(d, "coverage_95"), NA, 2)))
cls <- u[u$task == "classification", ]
md(cls, list(
  data = function(d) d$dataset, method = function(d) d$method,
  `test log loss` = function(d) cell(d$log_loss, col(d, "log_loss_se"), 3),
  accuracy = function(d) cell(d$accuracy, col(d, "accuracy_se"), 3)))

# The targets, for bbb's rows
value <- function(d, set, method, name) {
  v <- d[d$dataset == set & d$method == method, name]
  if (length(v)) v[1L] else NA_real_
}
cat("Targets (bbb with the defaults):\n")
for (s in unique(reg$dataset)) {
  cat(sprintf(
    "  %-10s RMSE %.3f vs lm %.3f (%s); 95%% cover %.3f (%s); 50%% cover %.3f (%s)%s\n",
    s, value(reg, s, "bbb", "rmse"), value(reg, s, "lm", "rmse"),
    if (value(reg, s, "bbb", "rmse") <= value(reg, s, "lm", "rmse")) "met"
    else "missed",
    value(reg, s, "bbb", "coverage_95"),
    if (abs(value(reg, s, "bbb", "coverage_95") - 0.95) <= 0.02) "met"
    else "missed",
    value(reg, s, "bbb", "coverage_50"),
    if (abs(value(reg, s, "bbb", "coverage_50") - 0.50) <= 0.05) "met"
    else "missed",
    if (!is.na(value(reg, s, "PBP", "log_lik"))) sprintf(
      "; log-lik %.3f vs PBP %.3f", value(reg, s, "bbb", "log_lik"),
      value(reg, s, "PBP", "log_lik")) else ""))
}
for (s in unique(cls$dataset)) {
  cat(sprintf("  %-10s log loss %.3f vs glm/multinom %.3f (%s)\n", s,
              value(cls, s, "bbb", "log_loss"), value(cls, s, "lm", "log_loss"),
              if (value(cls, s, "bbb", "log_loss") <=
                  value(cls, s, "lm", "log_loss")) "met" else "missed"))
}
