# The UCI protocol of the Bayesian neural network benchmark (Hernandez-Lobato
# and Adams 2015; Gal and Ghahramani 2016) on seven regression and five
# classification data sets: 20 random 90/10 train/test splits, bbb with one
# hidden layer of 50 units and the package defaults otherwise (the same
# call for every data set), and side by side on the same splits: lm (glm /
# multinom for classes), nnet with size and decay chosen by 5-fold
# cross-validation on the training part, and ranger if it is installed.
#
#   Rscript bench/uci.R
#
# from the package sources, with bbb installed (the bench installs nnet's
# and ranger's absence gracefully: nnet ships with R; ranger is used when
# it is installed). The data sets come from CRAN source packages, fetched
# once with download.packages() into a cache outside the repository
# (BBB_CACHE, default tools::R_user_dir("bbb", "cache")); only their data
# files are read, the packages are not installed:
#
#   boston   MASS::Boston (506 x 13, medv), ships with R
#   concrete AppliedPredictiveModeling::concrete (1030 x 8)
#   energy   HTT::ENB (768 x 8, heating load Y1)
#   yacht    SFM::yacht_hydrodynamics (308 x 6, rows with NA dropped)
#   wine     treeheatr::wine_quality_red (1599 x 11, quality)
#   power    condvis::powerplant (9568 x 4, PE)
#   protein  SFM::protein (45730 x 9, RMSD)
#   sonar, ionosphere (2 classes), glass (6), vehicle (4): mlbench
#   pima     MASS::Pima.tr and Pima.te (532 x 7, 2 classes), ships with R
#
# Environment: BBB_UCI_SETS (comma-separated names, default all),
# BBB_UCI_SPLITS (20), BBB_UCI_METHODS (default "bbb,lm,nnet,ranger"),
# BBB_UCI_CORES (parallel splits with parallel::mclapply, default 1),
# BBB_UCI_ARGS (an R expression giving a list of further bbb_fit()
# arguments, for exploring settings; default none: package defaults),
# BBB_UCI_PHASES (phases of training, for the study of the defaults),
# BBB_UCI_TAG (a label for the run), BBB_UCI_FROM (split files of runs of
# parts of the sets, summarised as one run), BBB_RESULTS (where the CSVs go,
# default bench/results).
#
# Output: <results>/uci_splits[_TAG].csv (one row per data set, split and
# method) and uci[_TAG].csv (means and standard errors over the splits),
# printed at the end with the published PBP and MC dropout figures.

suppressPackageStartupMessages(library(bbb))
source(file.path(local({
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(sub("^--file=", "", arg[1L])) else "bench"
}), "common.R"))

# ---- data ------------------------------------------------------------------

cache_dir <- function() {
  d <- Sys.getenv("BBB_CACHE", tools::R_user_dir("bbb", "cache"))
  dir.create(d, recursive = TRUE, showWarnings = FALSE)
  d
}

# An object from the data folder of a CRAN source package, fetched once.
cran_data <- function(pkg, file, object) {
  dir <- file.path(cache_dir(), "cran")
  dir.create(dir, showWarnings = FALSE)
  tarball <- list.files(dir, paste0("^", pkg, "_.*[.]tar[.]gz$"),
                        full.names = TRUE)
  if (!length(tarball)) {
    got <- utils::download.packages(pkg, destdir = dir, type = "source",
                                     repos = "https://cloud.r-project.org",
                                     quiet = TRUE)
    tarball <- got[1L, 2L]
  }
  tarball <- tarball[1L]
  inside <- file.path(pkg, "data", file)
  utils::untar(tarball, files = inside, exdir = dir)
  env <- new.env()
  load(file.path(dir, inside), envir = env)
  as.data.frame(env[[object]])
}

# Each data set: a data frame of predictors `x`, the response `y`, and its
# task. Classes are factors; all predictors numeric.
datasets <- list(
  boston = function() {
    d <- MASS::Boston
    list(x = d[names(d) != "medv"], y = d$medv)
  },
  concrete = function() {
    d <- cran_data("AppliedPredictiveModeling", "concrete.RData", "concrete")
    list(x = d[names(d) != "CompressiveStrength"], y = d$CompressiveStrength)
  },
  energy = function() {
    d <- cran_data("HTT", "ENB.rda", "ENB")
    list(x = d[paste0("X", 1:8)], y = d$Y1)
  },
  yacht = function() {
    d <- stats::na.omit(cran_data("SFM", "yacht_hydrodynamics.rda",
                                  "yacht_hydrodynamics"))
    list(x = d[paste0("V", 1:6)], y = d$V7)
  },
  wine = function() {
    d <- cran_data("treeheatr", "wine_quality_red.rda", "wine_quality_red")
    list(x = d[names(d) != "target"], y = as.numeric(d$target))
  },
  power = function() {
    d <- cran_data("condvis", "powerplant.rda", "powerplant")
    list(x = d[c("AT", "V", "AP", "RH")], y = d$PE)
  },
  protein = function() {
    d <- cran_data("SFM", "protein.rda", "protein")
    list(x = d[paste0("F", 1:9)], y = d$RMSD)
  },
  sonar = function() {
    d <- cran_data("mlbench", "Sonar.rda", "Sonar")
    list(x = d[names(d) != "Class"], y = d$Class)
  },
  ionosphere = function() {
    d <- cran_data("mlbench", "Ionosphere.rda", "Ionosphere")
    # V2 is constant; V1 a 0/1 factor
    x <- d[setdiff(names(d), c("Class", "V2"))]
    x$V1 <- as.numeric(as.character(x$V1))
    list(x = x, y = d$Class)
  },
  pima = function() {
    d <- rbind(MASS::Pima.tr, MASS::Pima.te)
    list(x = d[names(d) != "type"], y = d$type)
  },
  glass = function() {
    d <- cran_data("mlbench", "Glass.rda", "Glass")
    list(x = d[names(d) != "Type"], y = droplevels(d$Type))
  },
  vehicle = function() {
    d <- cran_data("mlbench", "Vehicle.rda", "Vehicle")
    list(x = d[names(d) != "Class"], y = d$Class)
  }
)

# Published means over 20 splits (Hernandez-Lobato and Adams 2015, Table 1
# for PBP; Gal and Ghahramani 2016, Table 1 for MC dropout): test RMSE and
# test log-likelihood.
published <- utils::read.csv(text = "
dataset,method,rmse,log_lik
boston,PBP,3.014,-2.574
boston,MC dropout,2.97,-2.46
concrete,PBP,5.667,-3.161
concrete,MC dropout,5.23,-3.04
energy,PBP,1.804,-2.042
energy,MC dropout,1.66,-1.99
yacht,PBP,1.015,-1.634
yacht,MC dropout,1.11,-1.55
wine,PBP,0.635,-0.968
wine,MC dropout,0.62,-0.93
power,PBP,4.124,-2.837
power,MC dropout,4.02,-2.80
protein,PBP,4.732,-2.973
protein,MC dropout,4.36,-2.89
")

# ---- methods ---------------------------------------------------------------
# Each returns a named vector of test metrics: rmse, log_lik (mean log
# predictive density per row, original scale), coverage_50/95 where the
# method has a predictive distribution (regression); log_loss, accuracy
# (classification).

extra_args <- eval(parse(text = Sys.getenv("BBB_UCI_ARGS", "list()")))
# BBB_UCI_PHASES: the phases of training to convergence, by name (for the
# study of the defaults, bench/uci_study.sh; see training_phases())
if (nzchar(Sys.getenv("BBB_UCI_PHASES"))) {
  options(bbb.phases = strsplit(Sys.getenv("BBB_UCI_PHASES"), ",")[[1]])
}

fit_bbb <- function(train, test, task) {
  args <- c(list(x = train$x, y = train$y, hidden = 50L, verbose = FALSE),
            extra_args)
  started <- proc.time()[["elapsed"]]
  fit <- suppressWarnings(do.call(bbb_fit, args))
  took <- proc.time()[["elapsed"]] - started
  ev <- bbb_evaluate(fit, test$x, test$y, nsamples = 1000L,
                     coverage = c(0.5, 0.95))
  out <- c(seconds = took, epochs = nrow(fit$trace))
  if (task == "regression") {
    c(out, rmse = ev$rmse, log_lik = ev$log_lik,
      coverage_50 = ev$coverage_50, coverage_95 = ev$coverage_95,
      noise_sd = sigma(fit))
  } else {
    c(out, log_loss = -ev$log_lik, accuracy = ev$accuracy)
  }
}

gauss_metrics <- function(y, mean, sd) {
  c(rmse = sqrt(mean((y - mean)^2)),
    log_lik = mean(stats::dnorm(y, mean, sd, log = TRUE)),
    coverage_50 = mean(abs(y - mean) <= stats::qnorm(0.75) * sd),
    coverage_95 = mean(abs(y - mean) <= stats::qnorm(0.975) * sd))
}

class_metrics <- function(y, prob) {
  prob <- pmax(prob, 1e-15)
  prob <- prob / rowSums(prob)
  idx <- cbind(seq_along(y), as.integer(y))
  c(log_loss = -mean(log(prob[idx])),
    accuracy = mean(max.col(prob, ties.method = "first") == as.integer(y)))
}

fit_lm <- function(train, test, task) {
  dtr <- data.frame(train$x, .y = train$y)
  if (task == "regression") {
    m <- stats::lm(.y ~ ., data = dtr)
    p <- stats::predict(m, test$x, se.fit = TRUE)
    return(gauss_metrics(test$y, p$fit, sqrt(p$se.fit^2 + p$residual.scale^2)))
  }
  if (nlevels(train$y) == 2L) {
    m <- suppressWarnings(stats::glm(.y ~ ., data = dtr, family = "binomial"))
    p1 <- stats::predict(m, test$x, type = "response")
    return(class_metrics(test$y, cbind(1 - p1, p1)))
  }
  m <- nnet::multinom(.y ~ ., data = dtr, trace = FALSE, maxit = 1000)
  class_metrics(test$y, stats::predict(m, test$x, type = "probs"))
}

# nnet on standardized inputs (and response), size and decay by 5-fold CV
# on the training part (on at most 2000 of its rows), then one fit on all
# of it (at most 500 BFGS iterations throughout). Its predictive sd for the
# log-likelihood is the cross-validated RMSE.
fit_nnet <- function(train, test, task) {
  sc <- scale(as.matrix(train$x))
  ctr <- attr(sc, "scaled:center")
  scl <- attr(sc, "scaled:scale")
  xt <- scale(as.matrix(test$x), ctr, scl)
  reg <- task == "regression"
  ym <- if (reg) mean(train$y) else 0
  ys <- if (reg) stats::sd(train$y) else 1
  target <- if (reg) (train$y - ym) / ys else
    stats::model.matrix(~ train$y - 1)
  # sizes whose network has at most 1500 weights (BFGS's cost grows with
  # their square: 50 units on sonar's 60 inputs, 3101 weights, take 13 s a
  # fit); this leaves out only size 50 on sonar and ionosphere
  k <- if (reg || ncol(target) == 2L) 1L else ncol(target)
  sizes <- c(5, 10, 20, 50)
  sizes <- sizes[(ncol(sc) + 1) * sizes + (sizes + 1) * k <= 1500]
  grid <- expand.grid(size = sizes, decay = c(0.01, 0.1, 1))
  one <- function(x, t, size, decay) {
    nnet::nnet(x, t, size = size, decay = decay, linout = reg,
               softmax = !reg && ncol(as.matrix(t)) > 2L,
               entropy = !reg && ncol(as.matrix(t)) == 2L, maxit = 500,
               trace = FALSE, MaxNWts = 1e5)
  }
  pred <- function(m, x) {
    p <- stats::predict(m, x)
    if (!reg && ncol(p) == 1L) p <- cbind(1 - p, p)
    p
  }
  cv_rows <- if (nrow(sc) > 2000L) sample.int(nrow(sc), 2000L) else
    seq_len(nrow(sc))
  folds <- sample(rep_len(1:5, length(cv_rows)))
  cv_loss <- function(size, decay) {
    err <- 0
    for (k in 1:5) {
      tr <- cv_rows[folds != k]
      va <- cv_rows[folds == k]
      tt <- if (reg) target[tr] else target[tr, , drop = FALSE]
      if (!reg && ncol(target) == 2L) tt <- tt[, 2L]
      m <- one(sc[tr, , drop = FALSE], tt, size, decay)
      p <- pred(m, sc[va, , drop = FALSE])
      err <- err + if (reg) sum((p - target[va])^2) else
        -sum(log(pmax(p[cbind(seq_along(va), as.integer(train$y[va]))],
                      1e-15)))
    }
    err / length(cv_rows)
  }
  losses <- mapply(cv_loss, grid$size, grid$decay)
  best <- grid[which.min(losses), ]
  tt <- if (reg) target else if (ncol(target) == 2L) target[, 2L] else target
  m <- one(sc, tt, best$size, best$decay)
  p <- pred(m, xt)
  out <- c(size = best$size, decay = best$decay)
  if (reg) {
    c(out, gauss_metrics(test$y, ym + ys * as.vector(p),
                         ys * sqrt(min(losses))))
  } else {
    c(out, class_metrics(test$y, p))
  }
}

fit_ranger <- function(train, test, task) {
  dtr <- data.frame(train$x, .y = train$y)
  if (task == "regression") {
    m <- ranger::ranger(.y ~ ., data = dtr, num.threads = 1)
    p <- stats::predict(m, test$x, num.threads = 1)$predictions
    return(gauss_metrics(test$y, p, sqrt(m$prediction.error)))
  }
  m <- ranger::ranger(.y ~ ., data = dtr, probability = TRUE,
                      num.threads = 1)
  class_metrics(test$y, stats::predict(m, test$x, num.threads = 1)$predictions)
}

methods <- list(bbb = fit_bbb, lm = fit_lm, nnet = fit_nnet,
                ranger = fit_ranger)

# ---- the run ---------------------------------------------------------------

sets <- strsplit(Sys.getenv("BBB_UCI_SETS", paste(names(datasets),
                                                  collapse = ",")), ",")[[1]]
use <- strsplit(Sys.getenv("BBB_UCI_METHODS", "bbb,lm,nnet,ranger"),
                ",")[[1]]
if ("ranger" %in% use && !requireNamespace("ranger", quietly = TRUE)) {
  message("ranger is not installed: its rows are left out")
  use <- setdiff(use, "ranger")
}
n_splits <- env_num("BBB_UCI_SPLITS", 20)
cores <- env_num("BBB_UCI_CORES", 1)
tag <- Sys.getenv("BBB_UCI_TAG", "")
out_dir <- Sys.getenv("BBB_RESULTS", file.path(script_dir(), "results"))
dir.create(out_dir, recursive = TRUE, showWarnings = FALSE)
suffix <- if (nzchar(tag)) paste0("_", tag) else ""

run_split <- function(job) {
  d <- job$data
  n <- length(d$y)
  set.seed(1000L + job$split)  # the split: the same for every method
  test_rows <- sample.int(n, round(0.1 * n))
  train <- list(x = d$x[-test_rows, , drop = FALSE], y = d$y[-test_rows])
  test <- list(x = d$x[test_rows, , drop = FALSE], y = d$y[test_rows])
  rows <- lapply(use, function(m) {
    set.seed(2000L + job$split)
    res <- tryCatch(methods[[m]](train, test, job$task),
                    error = function(e) {
                      message(job$set, " split ", job$split, " ", m, ": ",
                              conditionMessage(e))
                      c(failed = 1)
                    })
    data.frame(dataset = job$set, split = job$split, method = m,
               t(res), check.names = FALSE)
  })
  bind_rows(rows)
}

bind_rows <- function(frames) {
  cols <- unique(unlist(lapply(frames, names)))
  do.call(rbind, lapply(frames, function(f) {
    f[setdiff(cols, names(f))] <- NA
    f[cols]
  }))
}

from <- Sys.getenv("BBB_UCI_FROM")
jobs <- list()
for (s in if (nzchar(from)) character(0) else sets) {
  d <- datasets[[s]]()
  task <- if (is.factor(d$y)) "classification" else "regression"
  for (i in seq_len(n_splits)) {
    jobs[[length(jobs) + 1L]] <- list(set = s, split = i, data = d,
                                      task = task)
  }
}
started <- proc.time()[["elapsed"]]
# BBB_UCI_FROM: comma-separated split files of runs of parts of the sets
# (BBB_UCI_SETS and BBB_UCI_TAG each), summarised here as one run instead
# of running anything. Each split and method has its own seed, so parts
# give what one run gives.
if (nzchar(from)) {
  splits <- bind_rows(lapply(strsplit(from, ",")[[1L]], utils::read.csv))
  sets <- intersect(names(datasets), unique(splits$dataset))
  use <- intersect(use, unique(splits$method))
  n_splits <- length(unique(splits$split))
} else {
  res <- if (cores > 1) {
    parallel::mclapply(jobs, run_split, mc.cores = cores,
                       mc.preschedule = FALSE)
  } else {
    lapply(jobs, run_split)
  }
  splits <- bind_rows(res)
}
write_csv(splits, file.path(out_dir, paste0("uci_splits", suffix, ".csv")))

metrics <- intersect(c("rmse", "log_lik", "coverage_50", "coverage_95",
                       "log_loss", "accuracy", "noise_sd", "seconds",
                       "epochs"), names(splits))
summary_rows <- lapply(split(splits, list(splits$dataset, splits$method),
                             drop = TRUE), function(g) {
  out <- data.frame(dataset = g$dataset[1], method = g$method[1],
                    splits = nrow(g))
  for (m in metrics) {
    v <- g[[m]]
    if (all(is.na(v))) next
    out[[m]] <- mean(v, na.rm = TRUE)
    out[[paste0(m, "_se")]] <- stats::sd(v, na.rm = TRUE) / sqrt(sum(!is.na(v)))
  }
  out
})
table <- bind_rows(summary_rows)
table <- table[order(match(table$dataset, names(datasets)),
                     match(table$method, names(methods))), ]
write_csv(table, file.path(out_dir, paste0("uci", suffix, ".csv")))
cat(sprintf("UCI protocol, %d splits, %.0f s%s\n", n_splits,
            proc.time()[["elapsed"]] - started,
            if (nzchar(tag)) paste0(" (", tag, ")") else ""))
options(width = 200)
show <- table
num <- vapply(show, is.double, NA)
show[num] <- lapply(show[num], signif, 3L)
print(show[, intersect(c("dataset", "method", "rmse", "rmse_se", "log_lik",
                         "log_lik_se", "coverage_50", "coverage_95",
                         "log_loss", "accuracy", "noise_sd", "seconds",
                         "epochs"), names(show))], row.names = FALSE)
pub <- published[published$dataset %in% sets, ]
if (nrow(pub)) {
  cat("\nPublished (means over 20 splits):\n")
  print(pub, row.names = FALSE)
}

# The summary the "Benchmarks" vignette reads, rewritten by a full run with
# the package defaults (all sets, methods and 20 splits, nothing set but
# the cores).
full_run <- !nzchar(tag) && !nzchar(Sys.getenv("BBB_UCI_ARGS")) &&
  !nzchar(Sys.getenv("BBB_UCI_PHASES")) &&
  !nzchar(Sys.getenv("BBB_RESULTS")) && n_splits == 20 &&
  setequal(sets, names(datasets)) && "nnet" %in% use
if (full_run) {
  pub_rows <- data.frame(dataset = published$dataset,
                         method = published$method, splits = 20,
                         rmse = published$rmse, log_lik = published$log_lik)
  shipped <- bind_rows(list(table, pub_rows))
  shipped$task <- ifelse(is.na(shipped$log_loss) & is.na(shipped$accuracy),
                         "regression", "classification")
  path <- file.path(dirname(script_dir()), "inst", "extdata", "uci.csv")
  write_csv(shipped, path)
  cat("Updated", path, "\n")
}
