# Side-by-side speed comparison of bbb and the PyTorch reference
# (bench/torch_reference.py) on the three configurations of README.md.
#
#   bash bench/setup.sh && R CMD INSTALL . && Rscript bench/bench.R
#
# Each measurement runs in its own process (bench/bbb_run.R, or python3),
# one after the other, so that thread counts and peak memory are those of
# that run alone. Both sides are timed with 1 and 2 threads, PyTorch in
# float32 and float64, bbb in double and single precision; the table sets
# each side's best against the other's. (bbb makes the BLAS single-threaded
# while it trains, so its BLAS thread count is 1 throughout.) Writes
# bench/results/speed.csv and prints the table. Options by environment:
# BENCH_REPS (default 5), BENCH_CONFIGS (default "a,b,c").
reps <- as.integer(Sys.getenv("BENCH_REPS", "5"))
configs <- strsplit(Sys.getenv("BENCH_CONFIGS", "a,b,c"), ",")[[1]]
root <- normalizePath(file.path(dirname(sub("^--file=", "",
  grep("^--file=", commandArgs(FALSE), value = TRUE))), ".."))
python <- if (file.exists("/usr/bin/python3")) "/usr/bin/python3" else
  "python3"

`%||%` <- function(a, b) if (is.null(a)) b else a

parse_json <- function(line) {
  # The two scripts print flat JSON objects of numbers, strings and arrays.
  body <- sub("^\\{", "", sub("\\}\\s*$", "", line))
  parts <- regmatches(body, gregexpr('"[^"]+": (\\[[^]]*\\]|"[^"]*"|[^,]+)',
                                     body))[[1]]
  out <- list()
  for (p in parts) {
    key <- sub('^"([^"]+)": .*$', "\\1", p)
    val <- sub('^"[^"]+": ', "", p)
    out[[key]] <- if (grepl('^"', val)) gsub('"', "", val) else
      if (grepl("^\\[", val)) as.numeric(strsplit(gsub("\\[|\\]", "", val),
                                                  ",")[[1]]) else
      suppressWarnings(as.numeric(val))
  }
  out
}

run <- function(cmd, args, env = character()) {
  out <- system2(cmd, args, stdout = TRUE, stderr = FALSE, env = env)
  line <- grep("^\\{", out, value = TRUE)
  if (!length(line)) stop("no result from: ", cmd, " ", paste(args,
                                                                collapse = " "))
  parse_json(line[length(line)])
}

bbb_run <- function(config, threads, precision, blas, row_copy = TRUE) {
  r <- run("Rscript", c(file.path(root, "bench", "bbb_run.R"), config,
                        threads, precision, reps, 1),
           env = c(paste0("OPENBLAS_NUM_THREADS=", blas),
                   paste0("OMP_NUM_THREADS=", threads),
                   paste0("BENCH_ROW_COPY=", row_copy)))
  r$setting <- sprintf("%d thread(s), %s, BLAS %d%s", threads, precision,
                       blas, if (row_copy) "" else ", no row copy")
  r
}

torch_run <- function(config, threads, dtype) {
  steps <- if (config == "c") c("--steps", "60") else character()
  r <- run(python, c(file.path(root, "bench", "torch_reference.py"),
                     "--config", config, "--threads", threads, "--dtype",
                     dtype, "--reps", reps, "--warmup", 1, steps))
  r$setting <- sprintf("%d thread(s), %s", threads, dtype)
  r
}

rows <- list()
for (config in configs) {
  cat("configuration", config, "\n")
  # threads, precision, BLAS threads, row copy
  settings <- list(list(1, "double", 1, TRUE), list(2, "double", 1, TRUE),
                   list(1, "single", 1, TRUE), list(2, "single", 1, TRUE))
  # (c) also without the row-major copy of the design, for its memory
  if (config == "c") {
    settings <- c(settings, list(list(2, "single", 1, FALSE)))
  }
  for (s in settings) {
    r <- bbb_run(config, s[[1]], s[[2]], s[[3]], s[[4]])
    cat(sprintf("  bbb   %-32s %10.4g s/%s  peak %6.0f MB\n", r$setting,
                r$median, r$unit, r$peak_rss_mb))
    rows[[length(rows) + 1]] <- data.frame(
      config = config, side = "bbb", setting = r$setting, threads = s[[1]],
      unit = r$unit, median_s = r$median, peak_rss_mb = r$peak_rss_mb,
      data_mb = r$data_mb %||% NA, before_fit_mb = r$before_fit_mb %||% NA,
      gemm_share = r$gemm_share %||% NA,
      gemm_gflops = r$gemm_gflops %||% NA,
      predict_s = r$predict_1000x10000_s %||% NA)
  }
  for (threads in 1:2) for (dtype in c("float32", "float64")) {
    r <- torch_run(config, threads, dtype)
    cat(sprintf("  torch %-32s %10.4g s/%s  peak %6.0f MB\n", r$setting,
                r$median, r$unit, r$peak_rss_mb))
    rows[[length(rows) + 1]] <- data.frame(
      config = config, side = "torch", setting = r$setting,
      threads = threads, unit = r$unit, median_s = r$median,
      peak_rss_mb = r$peak_rss_mb, data_mb = NA, before_fit_mb = NA,
      gemm_share = NA,
      gemm_gflops = NA, predict_s = NA)
  }
}
res <- do.call(rbind, rows)
dir.create(file.path(root, "bench", "results"), showWarnings = FALSE)
utils::write.csv(res, file.path(root, "bench", "results", "speed.csv"),
                 row.names = FALSE)

cat("\nMachine:", sprintf("%d cores", parallel::detectCores()), "|",
    "BLAS:", extSoftVersion()[["BLAS"]], "\n\n")
cat(sprintf("%-6s %-34s %11s %-22s %11s %8s %9s %9s\n", "config",
            "bbb (best setting)", "bbb", "PyTorch best", "PyTorch",
            "ratio", "bbb MB", "torch MB"))
for (config in configs) {
  b <- res[res$config == config & res$side == "bbb", ]
  t <- res[res$config == config & res$side == "torch", ]
  for (th in c(NA, 2)) {
    bb <- if (is.na(th)) b else b[b$threads == th, ]
    bb <- bb[which.min(bb$median_s), ]
    tt <- t[which.min(t$median_s), ]
    ratio <- tt$median_s / bb$median_s
    cat(sprintf("%-6s %-34s %9.4g s %-22s %9.4g s %7sx %9.0f %9.0f\n",
                config, bb$setting, bb$median_s, tt$setting, tt$median_s,
                format(round(ratio, if (ratio < 100) 1 else 0)),
                bb$peak_rss_mb, tt$peak_rss_mb))
  }
  if (config == "b") {
    cat(sprintf("       predict(): 1000 draws x 10,000 rows in %.3f s\n",
                min(b$predict_s, na.rm = TRUE)))
  }
  if (config == "c") {
    best <- b[which.min(b$median_s), ]
    cat(sprintf("       peak memory %.0f MB over %.0f MB of data\n",
                best$peak_rss_mb, best$data_mb))
    nc <- b[grepl("no row copy", b$setting), ]
    if (nrow(nc)) {
      cat(sprintf(paste0("       without the row copy (%s): %.4g s, %.1fx, ",
                         "peak memory %.0f MB\n"), nc$setting, nc$median_s,
                  min(t$median_s) / nc$median_s, nc$peak_rss_mb))
    }
  }
}
