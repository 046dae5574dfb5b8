# The engine's own matrix kernels (src/gemm.c) against R's %*%, through
# their test entry point: C = op(A) op(B) + beta C. Every kernel that this
# build and CPU can run is tested (the engine uses the best of them).

gemm <- function(a, b, c, ta = FALSE, tb = FALSE, beta = FALSE,
                 single = FALSE, threads = 1L, kernel = NULL, epi = 0L,
                 e = NULL) {
  .Call(bbb:::C_bbb_gemm, a, b, c, ta, tb, beta, single,
        as.integer(threads), kernel, as.integer(epi), e)
}

to_float <- function(x) {
  y <- readBin(writeBin(as.double(x), raw(), size = 4), "double", size = 4,
               n = length(x))
  dim(y) <- dim(x)
  y
}

kernels <- Filter(function(k) {
  !is.null(gemm(diag(1), diag(1), diag(1), kernel = k))
}, c("scalar", "vector", "avx2", "avx512"))
# Under valgrind (tools/valgrind.sh) every path once, with fewer repetitions
# and smaller products: the checks are for memory errors there.
memcheck <- identical(Sys.getenv("BBB_MEMCHECK"), "valgrind")

# One product by one kernel against the double product of the same
# (rounded, in single precision) inputs. The bound is the classical one
# for a sum of k products, (k + 2) u sum |a||b|, with the unit roundoff u
# of the precision.
check_product <- function(m, n, k, ta, tb, beta, single, kernel,
                          threads = 1L) {
  a <- matrix(stats::rnorm(m * k), if (ta) k else m)
  b <- matrix(stats::rnorm(k * n), if (tb) n else k)
  c <- matrix(stats::rnorm(m * n), m)
  if (!beta) c[] <- NaN # never read
  if (single) {
    a <- to_float(a)
    b <- to_float(b)
    c <- to_float(c)
  }
  oa <- if (ta) t(a) else a
  ob <- if (tb) t(b) else b
  ref <- oa %*% ob
  if (beta) ref <- ref + c
  got <- gemm(a, b, c, ta, tb, beta, single, threads, kernel)
  u <- if (single) 2^-24 else 2^-53
  bound <- (k + 2) * u * (abs(oa) %*% abs(ob) + if (beta) abs(c) else 0) +
    1e-300
  label <- sprintf("%s %s %d x %d x %d, ta %d tb %d beta %d", kernel,
                   if (single) "single" else "double", m, n, k, ta, tb,
                   beta)
  expect_true(is.matrix(got) && all(dim(got) == c(m, n)), label = label)
  expect_true(all(abs(got - ref) <= bound), label = label)
}

test_that("the kernels multiply like %*% at every shape and transpose", {
  expect_true(length(kernels) >= 2) # the scalar one and a vector one
  expect_true(attr(gemm(diag(2), diag(2), diag(2)), "kernel") %in% kernels)
  set.seed(1)
  # Sizes around the tiles (4, 6, 8, 12, 16, 32 rows or columns) and the
  # blocks (KC = 128 in double, 256 in single; MC = 256 rows).
  sizes <- c(1, 2, 3, 5, 7, 11, 13, 17, 31, 33, 63)
  for (kernel in kernels) for (single in c(FALSE, TRUE)) {
    for (i in seq_len(if (memcheck) 8 else 40)) {
      dims <- sample(sizes, 3, replace = TRUE)
      ops <- sample(c(TRUE, FALSE), 3, replace = TRUE)
      check_product(dims[1], dims[2], dims[3], ops[1], ops[2], ops[3],
                    single, kernel)
    }
    for (k in c(127, 128, 129, 255, 256, 257, 520)) {
      check_product(37, 14, k, FALSE, FALSE, FALSE, single, kernel)
      check_product(9, 26, k, TRUE, FALSE, TRUE, single, kernel)
    }
    for (m in c(255, 256, 257, 600)) {
      check_product(m, 25, 40, FALSE, TRUE, FALSE, single, kernel)
      check_product(m, 7, 300, TRUE, FALSE, TRUE, single, kernel)
    }
    # The engine's three products (forward, and the backward pair) at a
    # size with full tiles and partial ones.
    big <- if (memcheck) 40 else 200
    check_product(128, big, 300, FALSE, FALSE, FALSE, single, kernel)
    check_product(300, big, 128, TRUE, FALSE, FALSE, single, kernel)
    check_product(128, 300, big, FALSE, TRUE, FALSE, single, kernel)
    # Products with one or two columns or rows (read in place, tall
    # tiles) and small transposed ones (dot products) beyond the small
    # path's size.
    check_product(600, 1, 300, FALSE, FALSE, TRUE, single, kernel)
    check_product(600, 2, 40, FALSE, TRUE, FALSE, single, kernel)
    check_product(1, 600, 300, TRUE, FALSE, FALSE, single, kernel)
    check_product(2, 300, 70, FALSE, TRUE, TRUE, single, kernel)
    # Thin products (k <= 4 with A in place: A's rows in registers along
    # all columns), with and without a row tail, both op(B) and beta.
    for (k in 1:5) for (m in c(16, 37, 112, 130)) {
      check_product(m, 33, k, FALSE, k %% 2 == 0, k > 2, single, kernel)
      check_product(m, 5, k, FALSE, k %% 2 == 1, k <= 2, single, kernel)
    }
    # Many columns (more than one block of NC = 2048) and a long inner
    # dimension.
    check_product(5, 2100, 3, FALSE, FALSE, TRUE, single, kernel)
    check_product(20, 2100, 9, TRUE, TRUE, FALSE, single, kernel)
    check_product(3, 4, 3000, TRUE, FALSE, TRUE, single, kernel)
  }
})

test_that("the kernels' epilogues are the relu layer's separate steps", {
  # C = max(C + 1 b', 0) and C = C o [E > 0] (gemm.h), applied in the
  # tiles, against the same kernel's plain product followed by the step in
  # R: the same operations on the same numbers, so equal exactly (in
  # single precision the sum of two floats rounded to a float).
  set.seed(5)
  shapes <- list(c(112, 32, 3, 0, 0), c(112, 32, 1, 0, 1), c(37, 14, 4, 0, 0),
                 c(300, 300, 3, 0, 1), c(37, 14, 300, 0, 0),
                 c(128, 70, 40, 0, 1), c(5, 90, 30, 0, 0), c(9, 26, 20, 1, 0),
                 c(40, 3, 60, 1, 1), c(3, 7, 0, 0, 0))
  for (kernel in kernels) for (single in c(FALSE, TRUE)) {
    for (s in shapes) for (beta in c(FALSE, TRUE)) {
      m <- s[1]; n <- s[2]; k <- s[3]; ta <- s[4] == 1; tb <- s[5] == 1
      round_ <- if (single) to_float else identity
      a <- round_(matrix(stats::rnorm(m * k), if (ta) k else m,
                         if (ta) m else k))
      b <- round_(matrix(stats::rnorm(k * n), if (tb) n else k,
                         if (tb) k else n))
      c <- round_(matrix(stats::rnorm(m * n), m))
      bias <- round_(stats::rnorm(n))
      h <- matrix(stats::rnorm(m * n), m)
      epi <- function(code, e, threads = 1L) {
        out <- gemm(a, b, c, ta, tb, beta, single, threads, kernel, code, e)
        attr(out, "kernel") <- NULL
        out
      }
      plain <- epi(0L, NULL)
      label <- sprintf("%s %s %s, beta %d", kernel,
                       if (single) "single" else "double",
                       paste(s, collapse = " "), beta)
      expect_identical(epi(1L, bias),
                       pmax(round_(plain + rep(bias, each = m)), 0),
                       label = label)
      expect_identical(epi(2L, c(h)), ifelse(h > 0, plain, 0), label = label)
      if (m * n * k >= 2^18) {  # split between threads: the same numbers
        expect_identical(epi(1L, bias, 3L), epi(1L, bias), label = label)
        expect_identical(epi(2L, c(h), 3L), epi(2L, c(h)), label = label)
      }
    }
  }
})

test_that("the kernels handle empty and degenerate products", {
  for (kernel in kernels) for (single in c(FALSE, TRUE)) {
    # k = 0: C = beta C
    got <- gemm(matrix(0, 3, 0), matrix(0, 0, 2), matrix(5, 3, 2),
                beta = TRUE, single = single, kernel = kernel)
    expect_equal(c(got), rep(5, 6))
    got <- gemm(matrix(0, 3, 0), matrix(0, 0, 2), matrix(NaN, 3, 2),
                single = single, kernel = kernel)
    expect_equal(c(got), rep(0, 6))
    # m = 0 or n = 0
    expect_equal(dim(gemm(matrix(0, 0, 4), matrix(1, 4, 2), matrix(0, 0, 2),
                          single = single, kernel = kernel)), c(0L, 2L))
    expect_equal(dim(gemm(matrix(1, 3, 4), matrix(0, 4, 0), matrix(0, 3, 0),
                          single = single, kernel = kernel)), c(3L, 0L))
    # 1 x 1 x 1
    expect_equal(c(gemm(matrix(3), matrix(-2), matrix(1), beta = TRUE,
                        single = single, kernel = kernel)), -5)
  }
})

test_that("the kernels' results do not depend on the number of threads", {
  set.seed(2)
  # (above 2^18 multiply-adds, so that they are split between threads)
  shapes <- list(c(128, 200, 300), c(300, 200, 128), c(128, 300, 200),
                 c(60, 1000, 20), c(150, 40, 200), c(700, 400, 1))
  if (memcheck) shapes <- list(c(128, 40, 60), c(20, 300, 50))
  for (kernel in kernels) for (single in c(FALSE, TRUE)) {
    for (s in shapes) for (ops in list(c(FALSE, FALSE), c(TRUE, FALSE),
                                       c(FALSE, TRUE))) {
      ta <- ops[1]
      tb <- ops[2]
      a <- matrix(stats::rnorm(s[1] * s[3]), if (ta) s[3] else s[1])
      b <- matrix(stats::rnorm(s[3] * s[2]), if (tb) s[2] else s[3])
      c <- matrix(stats::rnorm(s[1] * s[2]), s[1])
      one <- gemm(a, b, c, ta, tb, TRUE, single, 1L, kernel)
      for (threads in if (memcheck) 2L else c(2L, 3L, 7L)) {
        expect_identical(gemm(a, b, c, ta, tb, TRUE, single, threads,
                              kernel), one,
                         label = sprintf("%s %d threads, %s", kernel, threads,
                                         paste(s, collapse = " x ")))
      }
    }
  }
})

test_that("the kernels' test entry checks its arguments", {
  a <- matrix(1, 2, 3)
  expect_error(gemm(a, matrix(1, 2, 2), matrix(0, 2, 2)), "conform")
  expect_error(gemm(a, matrix(1, 3, 2), matrix(0, 3, 2)), "must be 2 x 2")
  expect_error(gemm(a, matrix(1L, 3, 2), matrix(0, 2, 2)), "double matrix")
  expect_error(gemm(a, matrix(1, 3, 2), matrix(0, 2, 2), threads = 0L),
               "threads")
  expect_error(gemm(a, matrix(1, 3, 2), matrix(0, 2, 2), ta = NA), "'ta'")
  expect_null(gemm(a, matrix(1, 3, 2), matrix(0, 2, 2), kernel = "nonesuch"))
  expect_error(gemm(a, matrix(1, 3, 2), matrix(0, 2, 2), epi = 3L), "'epi'")
  expect_error(gemm(a, matrix(1, 3, 2), matrix(0, 2, 2), epi = 1L, e = 1),
               "'e' must be a double vector of length 2")
})

test_that("options(bbb.gemm = \"blas\") trains on R's BLAS to the same fit", {
  set.seed(12)
  x <- matrix(stats::rnorm(3000), 300, 10)
  y <- x[, 1] - x[, 2] + stats::rnorm(300)
  fit_with <- function(gemm, precision) {
    old <- options(bbb.gemm = gemm)
    on.exit(options(old))
    set.seed(13)
    bbb_fit(x, y, hidden = c(40, 20), epochs = 2, precision = precision,
            verbose = FALSE)
  }
  for (precision in c("double", "single")) {
    own <- fit_with("own", precision)
    blas <- fit_with("blas", precision)
    # the same draws and steps; the products round differently
    tol <- if (precision == "double") 1e-10 else 1e-4
    expect_equal(unlist(blas$params), unlist(own$params), tolerance = tol)
  }
  old <- options(bbb.gemm = "fast")
  on.exit(options(old))
  expect_error(bbb_fit(x, y, hidden = 4, epochs = 1, verbose = FALSE),
               "bbb.gemm")
})
