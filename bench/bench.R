# Side-by-side speed comparison of bbb and the PyTorch reference
# (bench/torch_reference.py) on the three configurations of README.md, on
# both BLASes:
#
#   bash bench/setup.sh && R CMD INSTALL . && Rscript bench/bench.R
#
# Each measurement runs in its own process (bench/bbb_run.R, python3, or
# the kernel harness bench/gemm_bench.c), one after the other, so that
# thread counts and peak memory are those of that run alone. The BLAS of
# each run is chosen here, whatever the machine's default: the reference
# BLAS is the one R links (Debian's libblas3, as setup.sh leaves the
# alternatives), OpenBLAS is preloaded (LD_PRELOAD of BENCH_OPENBLAS, by
# default Debian's pthreads build; R's start-up script puts its own library
# folders first in LD_LIBRARY_PATH, so that would not do). bbb runs with 1
# and 2 threads in double and single precision on each BLAS (it computes
# its products with its own kernels, so the BLAS matters little); PyTorch
# runs on OpenBLAS, its best setting, with 1 and 2 threads in float32 and
# float64. The table sets each side's best against the other's. The own
# kernel's rate on (c)'s products is set against OpenBLAS's sgemm on the
# same products (bench/gemm_bench.c, compiled here with R's C compiler).
# Writes bench/results/speed.csv and prints the table. Options by
# environment: BENCH_REPS (default 5), BENCH_CONFIGS (default "a,b,c"; a
# run of some configurations keeps the other configurations' rows of
# speed.csv, each row dated by its run), BENCH_RESULTS (the folder of the
# csv files, default bench/results); PKG_CPPFLAGS is passed to the kernel
# harness's compiler too (bench/avx2.sh).
reps <- as.integer(Sys.getenv("BENCH_REPS", "5"))
configs <- strsplit(Sys.getenv("BENCH_CONFIGS", "a,b,c"), ",")[[1]]
root <- normalizePath(file.path(dirname(sub("^--file=", "",
  grep("^--file=", commandArgs(FALSE), value = TRUE))), ".."))
python <- if (file.exists("/usr/bin/python3")) "/usr/bin/python3" else
  "python3"
openblas <- Sys.getenv("BENCH_OPENBLAS",
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3")
if (!file.exists(openblas)) {
  stop("OpenBLAS not found at ", openblas, ": run bench/setup.sh or set ",
       "BENCH_OPENBLAS")
}
blases <- c(reference = "", openblas = openblas)
preload <- function(blas) if (nzchar(blas)) paste0("LD_PRELOAD=", blas)

# The kernels OpenBLAS picks for this CPU (it prints them with
# OPENBLAS_VERBOSE=2). Debian 12's OpenBLAS 0.3.21 takes a CPU newer than
# it knows for a Prescott and runs its SSE3 kernels there: on an Emerald
# Rapids Xeon, sgemm on (c)'s products ran at 18 GFLOPS instead of the 91
# of its AVX-512 (SkylakeX) kernels. Then the kernels of the CPU's
# instruction set are forced for every OpenBLAS process of the bench,
# PyTorch's too (OPENBLAS_CORETYPE), unless the caller set them.
openblas_core <- function() {
  out <- suppressWarnings(system2("env", c("OPENBLAS_VERBOSE=2",
    preload(openblas), "true"), stdout = TRUE, stderr = TRUE))
  core <- sub("^Core: ", "", grep("^Core: ", out, value = TRUE))
  if (length(core)) core[1] else NA_character_
}
cpu_flags <- function() {
  line <- grep("^flags", readLines("/proc/cpuinfo", warn = FALSE),
               value = TRUE)
  if (length(line)) strsplit(sub("^[^:]*: ", "", line[1]), " ")[[1]] else
    character()
}
core_note <- ""
if (!nzchar(Sys.getenv("OPENBLAS_CORETYPE")) &&
    identical(openblas_core(), "Prescott")) {
  flags <- cpu_flags()
  forced <- if (all(c("avx512f", "avx512bw", "avx512dq", "avx512vl") %in%
                    flags)) "SkylakeX" else
    if (all(c("avx2", "fma") %in% flags)) "Haswell" else ""
  if (nzchar(forced)) {
    Sys.setenv(OPENBLAS_CORETYPE = forced)
    core_note <- sprintf(paste0(" (OPENBLAS_CORETYPE=%s: it took this CPU ",
                                "for a Prescott)"), forced)
  }
}
results <- Sys.getenv("BENCH_RESULTS", file.path(root, "bench", "results"))

`%||%` <- function(a, b) if (is.null(a)) b else a

parse_json <- function(line) {
  # The scripts print flat JSON objects of numbers, strings and arrays.
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
           env = c(preload(blases[[blas]]), "OPENBLAS_NUM_THREADS=1",
                   paste0("OMP_NUM_THREADS=", threads),
                   paste0("BENCH_ROW_COPY=", row_copy)))
  r$setting <- sprintf("%s BLAS, %d thread(s), %s%s", blas, threads,
                       precision, if (row_copy) "" else ", no row copy")
  r
}

torch_run <- function(config, threads, dtype) {
  steps <- if (config == "c") c("--steps", "60") else character()
  r <- run(python, c(file.path(root, "bench", "torch_reference.py"),
                     "--config", config, "--threads", threads, "--dtype",
                     dtype, "--reps", reps, "--warmup", 1, steps),
           env = preload(openblas))
  r$setting <- sprintf("openblas, %d thread(s), %s", threads, dtype)
  r
}

# The own kernels against OpenBLAS on (c)'s products, 1 and 2 threads.
kernel_rates <- function() {
  exe <- file.path(tempdir(), "gemm_bench")
  cc <- system2("R", c("CMD", "config", "CC"), stdout = TRUE)
  r_include <- system2("R", c("CMD", "config", "--cppflags"), stdout = TRUE)
  status <- system(paste(cc, "-O2 -fopenmp", Sys.getenv("PKG_CPPFLAGS"),
    shQuote(paste0("-I", file.path(root, "src"))), r_include,
    shQuote(file.path(root, "bench", "gemm_bench.c")), "-o", shQuote(exe),
    "-lblas -lm"))
  if (status != 0) stop("could not compile bench/gemm_bench.c")
  lapply(1:2, function(th) {
    run(exe, th, env = c(preload(openblas), "OPENBLAS_NUM_THREADS=1"))
  })
}

# n x p values of a config in MiB, in float32 (4 bytes) or float64.
data_mib <- function(config, bytes) {
  dims <- switch(config, a = c(100, 3), b = c(10000, 8), c = c(60000, 784))
  prod(dims) * bytes / 2^20
}

rows <- list()
add_row <- function(config, side, r, threads, blas) {
  rows[[length(rows) + 1]] <<- data.frame(
    config = config, side = side, blas = blas, setting = r$setting,
    threads = threads, unit = r$unit, median_s = r$median,
    cpu_median_s = r$cpu_median %||% NA, peak_rss_mb = r$peak_rss_mb,
    data_mb = r$data_mb %||% NA, before_fit_mb = r$before_fit_mb %||% NA,
    predict_s = r$predict_1000x10000_s %||% NA,
    loadavg_1min = r$loadavg_1min %||% NA, run = started)
}
started <- format(Sys.time(), "%Y-%m-%d %H:%M UTC", tz = "UTC")
show <- function(side, r) {
  cat(sprintf("  %-5s %-44s %10.4g s/%s (cpu %.4g)  peak %6.0f MB\n", side,
              r$setting, r$median, r$unit, r$cpu_median %||% NA,
              r$peak_rss_mb))
}
# the kernel harness first: it is quick, and a failure to compile it
# should not come after the half hour of the runs
kr <- if ("c" %in% configs) kernel_rates() else NULL
for (config in configs) {
  cat("configuration", config, "\n")
  for (blas in names(blases)) {
    for (s in list(list(1, "double"), list(2, "double"), list(1, "single"),
                   list(2, "single"))) {
      r <- bbb_run(config, s[[1]], s[[2]], blas)
      show("bbb", r)
      add_row(config, "bbb", r, s[[1]], blas)
    }
  }
  # (c) also without the row-major copy of the design, for its memory
  if (config == "c") {
    r <- bbb_run(config, 2, "single", "reference", row_copy = FALSE)
    show("bbb", r)
    add_row(config, "bbb", r, 2, "reference")
  }
  for (threads in 1:2) for (dtype in c("float32", "float64")) {
    r <- torch_run(config, threads, dtype)
    r$setting <- sprintf("openblas, %d thread(s), %s", threads, dtype)
    show("torch", r)
    add_row(config, "torch", r, threads, "openblas")
  }
}
res <- do.call(rbind, rows)
# (c)'s memory as the speed issue measures it: one 1-epoch fit a process
mem <- if ("c" %in% configs) lapply(c("", "norow"), function(arg) {
  run("Rscript", c(file.path(root, "bench", "memory_c.R"), arg),
      env = "OPENBLAS_NUM_THREADS=1")
})
dir.create(results, showWarnings = FALSE, recursive = TRUE)
speed_csv <- file.path(results, "speed.csv")
if (file.exists(speed_csv)) {
  kept <- utils::read.csv(speed_csv, stringsAsFactors = FALSE)
  kept <- kept[!kept$config %in% configs, , drop = FALSE]
  if (nrow(kept)) {
    if (is.null(kept$run)) kept$run <- NA_character_
    res <- rbind(kept[, names(res)], res)
    res <- res[order(res$config), , drop = FALSE]
  }
}
utils::write.csv(res, speed_csv, row.names = FALSE)
if (!is.null(mem)) {
  utils::write.csv(do.call(rbind, lapply(mem, as.data.frame)),
                   file.path(results, "memory.csv"),
                   row.names = FALSE)
}

cat("\nMachine:", sprintf("%d cores", parallel::detectCores()), "|",
    "reference BLAS:", extSoftVersion()[["BLAS"]], "| OpenBLAS:", openblas,
    paste0("(", openblas_core(), " kernels)", core_note),
    "| load average:", readLines("/proc/loadavg"), "\n\n")
cat(sprintf("%-3s %-38s %10s %-30s %10s %8s\n", "", "bbb (best setting)",
            "bbb", "PyTorch best (on OpenBLAS)", "PyTorch", "ratio"))
for (config in configs) {
  b <- res[res$config == config & res$side == "bbb" &
             !grepl("no row copy", res$setting), ]
  t <- res[res$config == config & res$side == "torch", ]
  tt <- t[which.min(t$median_s), ]
  for (blas in names(blases)) {
    bb <- b[b$blas == blas, ]
    bb <- bb[which.min(bb$median_s), ]
    ratio <- tt$median_s / bb$median_s
    cat(sprintf("%-3s %-38s %8.4g s %-30s %8.4g s %7sx\n", config,
                bb$setting, bb$median_s, tt$setting, tt$median_s,
                format(round(ratio, if (ratio < 100) 1 else 0))))
  }
  if (config == "b") {
    cat(sprintf("    predict(): 1000 draws x 10,000 rows in %.3f s\n",
                min(b$predict_s, na.rm = TRUE)))
  }
  if (config == "c") {
    # memory added beyond the data each side holds: R's double matrix for
    # bbb (one 1-epoch fit in a fresh process, memory_c.R), PyTorch's own
    # tensor of its dtype (its best run)
    t_bytes <- if (grepl("float32", tt$setting)) 4 else 8
    t_add <- tt$peak_rss_mb - data_mib("c", t_bytes)
    for (m in mem) {
      cat(sprintf(paste0("    memory beyond the data, 1-epoch fit, single, ",
                         "2 threads%s: bbb %.0f MB (peak %.0f over its %.0f ",
                         "MB matrix), PyTorch %.0f MB (peak %.0f over its ",
                         "%.0f MB tensor)\n"),
                  if (m$row_copy == "yes") "" else ", no row copy",
                  m$beyond_mb, m$peak_rss_mb, m$data_mb, t_add,
                  tt$peak_rss_mb, data_mib("c", t_bytes)))
    }
    nc <- res[res$config == "c" & grepl("no row copy", res$setting), ]
    if (nrow(nc)) {
      cat(sprintf(paste0("    without the row copy (%s): %.4g s, %.1fx\n"),
                  nc$setting, nc$median_s, tt$median_s / nc$median_s))
    }
  }
}
if (!is.null(kr)) {
  for (k in kr) {
    cat(sprintf(paste0("own kernel (%s) on (c)'s products, %d thread(s): ",
                       "single %.1f GFLOPS = %.0f%% of OpenBLAS sgemm's ",
                       "%.1f; double %.1f = %.0f%% of dgemm's %.1f\n"),
                k$kernel, k$threads, k$own_single_gflops,
                100 * k$own_single_gflops / k$blas_single_gflops,
                k$blas_single_gflops, k$own_double_gflops,
                100 * k$own_double_gflops / k$blas_double_gflops,
                k$blas_double_gflops))
  }
  utils::write.csv(do.call(rbind, lapply(kr, as.data.frame)),
                   file.path(results, "kernel_rate.csv"),
                   row.names = FALSE)
}
