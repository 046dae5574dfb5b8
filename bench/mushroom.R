# The mushroom contextual bandit of Blundell et al. (2015), section 5.3:
# a Bayes by Backprop agent choosing by Thompson sampling against
# epsilon-greedy agents (epsilon 0, 1% and 5%) built on ordinary
# (point-estimate) networks. Writes the cumulative regret by step to
# inst/extdata/mushroom_regret.csv and the settings and timings to
# inst/extdata/mushroom_runs.csv (read by vignette("decisions")).
#
#   Rscript bench/mushroom.R [steps] [update_every] [seed]
#   BBB_MUSHROOM_VARIANTS=1 Rscript bench/mushroom.R 6000
#
# The second form runs only Thompson agents, with the settings of the
# first form and with one change each (more frequent updates, two weight
# samples a step, a fixed noise sd, a narrower prior, a larger learning
# rate), and writes inst/extdata/mushroom_variants.csv: the cumulative
# regret every 1000 steps of each, and its CPU seconds.
#
# Defaults: 50000 steps (as the paper), a model update every 20 steps,
# seed 1. Needs bbb (installed) and the cba package for the data. The
# shipped run took 64 minutes on one core of a 2-core machine loaded by
# other work (the timings are written to mushroom_runs.csv).
#
# The bandit. Each step shows the agent a mushroom drawn at random from the
# 8124 of the UCI data (22 categorical attributes, one-hot coded: 116 0/1
# inputs, "stalk-root" missing as a level of its own, "veil-type" dropped
# as constant). The agent eats it or not. Rewards as in the paper: eating
# an edible mushroom +5; eating a poisonous one +5 or -35 with equal
# probability; not eating 0. The oracle eats the edible ones only. The
# regret of a step is the oracle's expected reward minus that of the
# agent's action (5 for passing up an edible mushroom, 15 for eating a
# poisonous one, 0 otherwise); the curves are its cumulative sum.
#
# The agents model the reward of (context, action) by a network with two
# hidden layers of 100 relu units and a gaussian likelihood, on the reward
# divided by 5, trained on a buffer of their last 4096 interactions, each
# update being 64 minibatches of 64 rows (the paper's buffer and update).
# All agents see the same mushrooms and the same coin flips, and start
# with the same 64 steps of random actions (to have data to fit).
# - Thompson: bbb_fit() with the paper's scale-mixture prior; each
#   decision takes one draw of the weights from the posterior and eats if
#   that network predicts a higher reward for eating.
# - epsilon-greedy: the same network with point-estimate weights, trained
#   by Adam on the squared error (written out below in R); eats if the
#   predicted reward of eating is higher, except that with probability
#   epsilon it acts at random.
# What is scaled down from the paper: the paper updates after every step;
# here the models are updated after every `update_every` steps (and act
# with the model of the last update in between), so the agents train on
# 1/update_every of the paper's minibatches.

args <- commandArgs(trailingOnly = TRUE)
steps <- if (length(args) >= 1L) as.integer(args[1L]) else 50000L
update_every <- if (length(args) >= 2L) as.integer(args[2L]) else 20L
seed <- if (length(args) >= 3L) as.integer(args[3L]) else 1L
out_dir <- Sys.getenv("BBB_MUSHROOM_OUT", "inst/extdata")
suppressPackageStartupMessages(library(bbb))
`%||%` <- function(a, b) if (is.null(a)) b else a
if (!requireNamespace("cba", quietly = TRUE)) {
  stop("the cba package is needed for the mushroom data")
}

# --- data ---------------------------------------------------------------
mushrooms <- local({
  env <- new.env()
  utils::data("Mushroom", package = "cba", envir = env)
  env$Mushroom
})
features <- setdiff(names(mushrooms), c("class", "veil-type"))
onehot <- do.call(cbind, lapply(features, function(v) {
  f <- addNA(mushrooms[[v]], ifany = TRUE)
  levels(f)[is.na(levels(f))] <- "missing"
  m <- outer(as.integer(f), seq_len(nlevels(f)), "==") + 0
  colnames(m) <- paste0(v, "=", levels(f))
  m[, colSums(m) > 0, drop = FALSE]
}))
colnames(onehot) <- make.names(colnames(onehot), unique = TRUE)
edible <- mushrooms$class == "edible"

hidden <- c(100L, 100L)
buffer_size <- 4096L
batch <- 64L
batches_per_update <- 64L
warmup <- 64L
reward_scale <- 5

set.seed(seed)
stream <- sample.int(nrow(onehot), steps, replace = TRUE)
coin <- stats::runif(steps) < 0.5            # a poisonous meal is +5 if TRUE
warm_actions <- stats::runif(warmup) < 0.5   # eat in the random warm-up

reward_of <- function(eat, t) {
  ifelse(!eat, 0, ifelse(edible[stream[t]], 5, ifelse(coin[t], 5, -35)))
}
regret_of <- function(eat, t) {
  e <- edible[stream[t]]
  ifelse(e, ifelse(eat, 0, 5), ifelse(eat, 15, 0))
}
# Model inputs of contexts t for one action: the context and the action
# one-hot (eat, pass).
inputs <- function(t, eat) {
  cbind(onehot[stream[t], , drop = FALSE], eat = as.numeric(eat),
        pass = as.numeric(!eat))
}

# --- a point-estimate network trained by Adam (the greedy agents) --------
mlp_new <- function(p) {
  sizes <- c(p, hidden, 1L)
  layers <- lapply(seq_len(length(sizes) - 1L), function(l) {
    list(w = matrix(stats::rnorm(sizes[l] * sizes[l + 1L], 0,
                                 sqrt(2 / sizes[l])), sizes[l]),
         b = numeric(sizes[l + 1L]))
  })
  zero <- lapply(layers, function(l) list(w = 0 * l$w, b = 0 * l$b))
  list(layers = layers, m = zero, v = zero, t = 0)
}
mlp_predict <- function(net, x) {
  h <- x
  n <- length(net$layers)
  for (l in seq_len(n)) {
    h <- h %*% net$layers[[l]]$w + rep(net$layers[[l]]$b, each = nrow(h))
    if (l < n) h <- pmax(h, 0)
  }
  drop(h)
}
mlp_step <- function(net, x, y, lr = 1e-3, b1 = 0.9, b2 = 0.999,
                     eps = 1e-8) {
  n <- length(net$layers)
  hs <- vector("list", n + 1L)
  hs[[1L]] <- x
  for (l in seq_len(n)) {
    z <- hs[[l]] %*% net$layers[[l]]$w +
      rep(net$layers[[l]]$b, each = nrow(x))
    hs[[l + 1L]] <- if (l < n) pmax(z, 0) else z
  }
  delta <- (hs[[n + 1L]] - y) / nrow(x)     # d(mean squared error / 2)
  net$t <- net$t + 1
  for (l in n:1) {
    g <- list(w = crossprod(hs[[l]], delta), b = colSums(delta))
    if (l > 1L) delta <- (delta %*% t(net$layers[[l]]$w)) * (hs[[l]] > 0)
    for (k in c("w", "b")) {
      net$m[[l]][[k]] <- b1 * net$m[[l]][[k]] + (1 - b1) * g[[k]]
      net$v[[l]][[k]] <- b2 * net$v[[l]][[k]] + (1 - b2) * g[[k]]^2
      mhat <- net$m[[l]][[k]] / (1 - b1^net$t)
      vhat <- net$v[[l]][[k]] / (1 - b2^net$t)
      net$layers[[l]][[k]] <- net$layers[[l]][[k]] -
        lr * mhat / (sqrt(vhat) + eps)
    }
  }
  net
}

# --- the bandit loop ------------------------------------------------------
# `decide(model, t)` returns the actions (TRUE = eat) for steps t;
# `train(model, x, y)` returns the model updated on the buffer.
run_agent <- function(name, decide, train, model) {
  started <- proc.time()[["elapsed"]]
  cpu <- sum(proc.time()[c("user.self", "sys.self")])
  bx <- matrix(0, 0, ncol(onehot) + 2L)
  by <- numeric(0)
  regret <- numeric(steps)
  t <- 1L
  while (t <= steps) {
    block <- t:min(steps, t + update_every - 1L)
    if (t <= warmup) block <- t:min(steps, warmup)
    eat <- if (t <= warmup) warm_actions[block] else decide(model, block)
    regret[block] <- regret_of(eat, block)
    bx <- rbind(bx, inputs(block, eat))
    by <- c(by, reward_of(eat, block) / reward_scale)
    if (nrow(bx) > buffer_size) {
      keep <- seq.int(nrow(bx) - buffer_size + 1L, nrow(bx))
      bx <- bx[keep, , drop = FALSE]
      by <- by[keep]
    }
    model <- train(model, bx, by)
    t <- max(block) + 1L
  }
  took <- proc.time()[["elapsed"]] - started
  cpu <- sum(proc.time()[c("user.self", "sys.self")]) - cpu
  cat(sprintf("%-10s cumulative regret %7.0f after %d steps (%.0f s, %.0f s CPU)\n",
              name, sum(regret), steps, took, cpu))
  list(regret = regret, seconds = took, cpu = cpu)
}

greedy_agent <- function(epsilon) {
  decide <- function(net, block) {
    greedy <- mlp_predict(net, inputs(block, TRUE)) >
      mlp_predict(net, inputs(block, FALSE))
    explore <- stats::runif(length(block)) < epsilon
    ifelse(explore, stats::runif(length(block)) < 0.5, greedy)
  }
  train <- function(net, x, y) {
    for (i in seq_len(batches_per_update)) {
      rows <- sample.int(nrow(x), min(batch, nrow(x)))
      net <- mlp_step(net, x[rows, , drop = FALSE], y[rows])
    }
    net
  }
  list(decide = decide, train = train, model = mlp_new(ncol(onehot) + 2L))
}

# bbb: continue training where the last update stopped (bbb_continue() if
# this version of bbb has it, update() otherwise), on the new buffer.
continue_fit <- if (exists("bbb_continue", asNamespace("bbb"))) {
  get("bbb_continue", asNamespace("bbb"))
} else {
  stats::update
}
# predict() of a bbb with a `seed` argument fixes its draws by default;
# Thompson sampling needs fresh draws at every decision (seed = NULL: from
# R's random numbers).
fresh_draws <- if ("seed" %in% names(formals(getS3method("predict",
                                                         "bbb_fit")))) {
  list(seed = NULL)
} else {
  list()
}
thompson_agent <- function(lr = 1e-3, n_samples = 1L, noise_sd = NULL,
                           prior = prior_mixture()) {
  # One weight draw per decision: draw s of the block acts on context s.
  decide <- function(fit, block) {
    m <- length(block)
    draws <- do.call(predict, c(list(fit, rbind(inputs(block, TRUE),
                                                inputs(block, FALSE)),
                                     type = "samples", nsamples = m),
                                fresh_draws))
    idx <- seq_len(m)
    draws[cbind(idx, idx)] > draws[cbind(idx, m + idx)]
  }
  train <- function(fit, x, y) {
    # 64 minibatches of 64 rows: whole epochs over the buffer, as many as
    # make up 64 minibatches (one epoch once the buffer is full).
    epochs <- max(1L, round(batches_per_update / ceiling(nrow(x) / batch)))
    if (is.null(fit)) {
      return(bbb_fit(x, y, hidden = hidden, family = "gaussian",
                     prior = prior, batch_size = batch, epochs = epochs,
                     lr = lr, n_samples = n_samples, noise_sd = noise_sd,
                     standardize = FALSE, verbose = FALSE))
    }
    continue_fit(fit, epochs = epochs, x = x, y = y, verbose = FALSE)
  }
  list(decide = decide, train = train, model = NULL)
}

if (nzchar(Sys.getenv("BBB_MUSHROOM_VARIANTS"))) {
  variants <- list(
    "as the main run" = list(),
    "update every 5 steps" = list(update_every = 5L),
    "2 weight samples a step" = list(n_samples = 2L),
    "noise sd fixed at 1 (5 in reward)" = list(noise_sd = 1),
    "prior sigma1 = exp(-1)" = list(prior = prior_mixture(sigma1 = exp(-1))),
    "lr 0.01" = list(lr = 0.01)
  )
  main_every <- update_every
  rows <- lapply(names(variants), function(v) {
    args <- variants[[v]]
    update_every <<- args$update_every %||% main_every
    args$update_every <- NULL
    a <- do.call(thompson_agent, args)
    set.seed(seed * 1000L + 1L)
    r <- run_agent(v, a$decide, a$train, a$model)
    at <- seq(1000L, steps, by = 1000L)
    data.frame(variant = v, update_every = update_every, step = at,
               regret = cumsum(r$regret)[at], cpu_seconds = round(r$cpu))
  })
  update_every <- main_every
  dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
  utils::write.csv(do.call(rbind, rows),
                   file.path(out_dir, "mushroom_variants.csv"),
                   row.names = FALSE)
  quit(save = "no")
}

agents <- list(
  "Thompson" = thompson_agent(),
  "greedy" = greedy_agent(0),
  "greedy 1%" = greedy_agent(0.01),
  "greedy 5%" = greedy_agent(0.05)
)
results <- lapply(seq_along(agents), function(k) {
  a <- agents[[k]]
  set.seed(seed * 1000L + k)
  run_agent(names(agents)[k], a$decide, a$train, a$model)
})
names(results) <- names(agents)

# Cumulative regret at every 250th step (and the last).
at <- unique(c(seq(250L, steps, by = 250L), steps))
curves <- do.call(rbind, lapply(names(results), function(a) {
  data.frame(agent = a, step = at, regret = cumsum(results[[a]]$regret)[at])
}))
runs <- data.frame(
  agent = names(results), steps = steps, update_every = update_every,
  batches_per_update = batches_per_update, batch = batch,
  buffer = buffer_size, hidden = paste(hidden, collapse = "x"),
  seed = seed, seconds = round(vapply(results, `[[`, 0, "seconds"), 1),
  cpu_seconds = round(vapply(results, `[[`, 0, "cpu"), 1),
  final_regret = vapply(results, function(r) sum(r$regret), 0),
  bbb_version = as.character(utils::packageVersion("bbb"))
)
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
utils::write.csv(curves, file.path(out_dir, "mushroom_regret.csv"),
                 row.names = FALSE)
utils::write.csv(runs, file.path(out_dir, "mushroom_runs.csv"),
                 row.names = FALSE)
cat("wrote", file.path(out_dir, "mushroom_regret.csv"), "and",
    file.path(out_dir, "mushroom_runs.csv"), "\n")
