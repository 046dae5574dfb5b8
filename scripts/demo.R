# Demo: the regression curve of Blundell et al. (2015, section 5.2),
# y = x + 0.3 sin(2 pi (x + e)) + 0.3 sin(4 pi (x + e)) + e, e ~ N(0, 0.02^2),
# observed on [0, 0.5]; the predictive band widens away from the data.
library(bbb)
set.seed(1)
n <- 400
x <- runif(n, 0, 0.5)
e <- rnorm(n, 0, 0.02)
train <- data.frame(x = x, y = x + 0.3 * sin(2 * pi * (x + e)) +
                      0.3 * sin(4 * pi * (x + e)) + e)

fit <- bbb_fit(y ~ x, data = train, hidden = c(32, 32), verbose = FALSE)
print(fit)

grid <- data.frame(x = seq(-0.2, 1.2, length.out = 300))
band <- predict(fit, grid, interval = "prediction", level = 0.95,
                nsamples = 1000)
cred <- predict(fit, grid, interval = "credible", level = 0.95,
                nsamples = 1000)
out <- "bbb-demo.png"
grDevices::png(out, width = 900, height = 600, res = 110)
plot(train$x, train$y, pch = 16, cex = 0.5, col = "grey40",
     xlim = range(grid$x), ylim = c(-1, 2), xlab = "x", ylab = "y",
     main = "Bayes by Backprop: posterior predictive")
polygon(c(grid$x, rev(grid$x)), c(band[, "lwr"], rev(band[, "upr"])),
        col = grDevices::adjustcolor("steelblue", 0.25), border = NA)
polygon(c(grid$x, rev(grid$x)), c(cred[, "lwr"], rev(cred[, "upr"])),
        col = grDevices::adjustcolor("steelblue", 0.45), border = NA)
lines(grid$x, band[, "fit"], col = "navy", lwd = 2)
legend("topleft", c("training data", "posterior mean",
                    "95% credible band (mean function)",
                    "95% prediction band (new y)"),
       pch = c(16, NA, 15, 15), lty = c(NA, 1, NA, NA),
       col = c("grey40", "navy",
               grDevices::adjustcolor("steelblue", 0.6),
               grDevices::adjustcolor("steelblue", 0.3)), bty = "n")
invisible(grDevices::dev.off())
inside <- grid$x >= 0 & grid$x <= 0.5
cat(sprintf(paste0("Mean width of the 95%% prediction band: %.3f inside ",
                   "the data, %.3f outside.\nWrote %s\n"),
            mean(band[inside, "upr"] - band[inside, "lwr"]),
            mean(band[!inside, "upr"] - band[!inside, "lwr"]), out))
