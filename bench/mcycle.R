# A small data set whose last minibatch is short: MASS::mcycle (133 rows,
# minibatches of 128 and 5 by default). Default fits of accel ~ times for
# three seeds: the RMSE of the posterior mean on the data, the learned
# noise sd and the epochs, beside lm's RMSE and sd(accel).
#
#   Rscript bench/mcycle.R
#
# (With the KL weights 1/M of the minibatches, before they became the
# minibatches' shares of the rows, the RMSE was 44-46, next to sd(accel).)
suppressPackageStartupMessages(library(bbb))
d <- MASS::mcycle
res <- vapply(1:3, function(s) {
  set.seed(s)
  fit <- bbb_fit(accel ~ times, data = d, verbose = FALSE)
  c(rmse = sqrt(mean((d$accel - predict(fit, d))^2)), noise_sd = sigma(fit),
    epochs = nrow(fit$trace))
}, numeric(3))
colnames(res) <- paste("seed", 1:3)
print(round(res, 2))
cat(sprintf("lm RMSE %.2f, sd(accel) %.2f\n",
            sqrt(mean(stats::residuals(stats::lm(accel ~ times, d))^2)),
            stats::sd(d$accel)))
