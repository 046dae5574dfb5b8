# The square roots of the parameter pass (src/sqrt_block.c) against R's
# sqrt(), through their test entry point: every version that this build
# and CPU can run (the engine uses the widest of them).

sqrt_block <- function(x, version, single = FALSE) {
  .Call(bbb:::C_bbb_sqrt_block, as.double(x), version, single)
}

versions <- Filter(function(v) !is.null(sqrt_block(1, v)),
                   c("newton", "sse", "avx", "avx512"))

# Values exact in float (so that both precisions take the same inputs):
# dyadic numbers from 2^-60 to 2^60, 0, and the lengths around whole
# vectors and a block's tail.
set.seed(11)
x <- c(0, 1, 2, 0.25, 2^-60, 2^60,
       round(stats::runif(250, 0, 2^20)) * 2^sample(-40:20, 250, TRUE))

test_that("every version the CPU runs gives sqrt()", {
  expect_true("newton" %in% versions)
  for (v in versions) {
    for (n in c(1L, 3L, 7L, 8L, 15L, 16L, 17L, 255L, 256L)) {
      xs <- x[seq_len(n)]
      exact <- v != "newton"
      # correctly rounded (IEEE sqrt) or Newton's few ulp; float's unit
      # roundoff is 2^-24
      tol_d <- if (exact) 0 else 4 * .Machine$double.eps
      tol_f <- if (exact) 2^-24 else 4 * 2^-23
      d <- sqrt_block(xs, v)
      f <- sqrt_block(xs, v, single = TRUE)
      ref <- sqrt(xs)
      rel <- function(y) max(abs(y - ref) / pmax(ref, .Machine$double.xmin))
      expect_lte(rel(d), tol_d, label = paste(v, n, "double"))
      expect_lte(rel(f), tol_f, label = paste(v, n, "single"))
    }
  }
})

test_that("the test entry refuses what it cannot take", {
  expect_null(sqrt_block(1, "no such version"))
  expect_error(sqrt_block(rep(1, 257), "newton"), "at most 256")
  expect_error(sqrt_block(1, NA_character_), "one string")
})
