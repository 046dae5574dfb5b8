# Installs the CRAN packages named on the command line into R's first
# library (the system site library when run as root), together with every
# package of their dependency closure (Depends, Imports, LinkingTo) that is
# missing or older than some package of the closure requires. Debian's
# r-cran-* packages (scripts/setup.sh installs them first) satisfy most of
# the closure; what they leave unmet is built from CRAN. Idempotent: it
# installs nothing when everything is there and recent enough.
#
#   Rscript scripts/cran-install.R parsnip
#   BBB_CRAN_DRY_RUN=1 Rscript scripts/cran-install.R tune  # list only
targets <- commandArgs(trailingOnly = TRUE)
if (!length(targets)) stop("name the packages to install")
repos <- getOption("repos")
if (is.null(repos) || identical(unname(repos["CRAN"]), "@CRAN@")) {
  repos <- c(CRAN = "https://cloud.r-project.org")
}
base <- rownames(installed.packages(priority = "base"))

installed_version <- function(p) {
  v <- tryCatch(utils::packageVersion(p), error = function(e) NULL)
  if (is.null(v)) NA_character_ else as.character(v)
}

# The requirements of a package's dependency fields: names and, where
# given, the minimum version ("(>= x)").
requirements <- function(row) {
  fields <- intersect(c("Depends", "Imports", "LinkingTo"), names(row))
  txt <- paste(stats::na.omit(row[fields]), collapse = ",")
  parts <- trimws(strsplit(gsub("\n", " ", txt), ",")[[1L]])
  parts <- parts[nzchar(parts)]
  name <- trimws(sub("\\(.*$", "", parts))
  min <- ifelse(grepl(">=", parts),
                trimws(sub(".*>=\\s*([^)]*)\\).*", "\\1", parts)), NA)
  keep <- name != "R" & !name %in% base
  data.frame(name = name[keep], min = min[keep])
}

# Whether what is installed (or, once chosen, what CRAN has) is at least
# every minimum asked for a package.
newer_or_equal <- function(have, want) {
  is.na(want) || (!is.na(have) &&
                    utils::compareVersion(have, want) >= 0)
}

# The requirements an installed package's DESCRIPTION states (none if it
# is not installed).
installed_requirements <- function(p) {
  d <- tryCatch(utils::packageDescription(p), warning = function(w) NULL)
  if (is.null(d) || !is.list(d)) return(requirements(character(0)))
  requirements(unlist(d))
}

needs_install <- function() {
  have_all <- all(vapply(targets, function(p) !is.na(installed_version(p)),
                         NA))
  if (!have_all) return(TRUE)
  # Everything named is installed: check the installed closure only (no
  # index download), by the installed DESCRIPTION files.
  seen <- character(0)
  todo <- targets
  while (length(todo)) {
    p <- todo[1L]
    todo <- todo[-1L]
    if (p %in% seen) next
    seen <- c(seen, p)
    if (is.na(installed_version(p))) return(TRUE)
    req <- installed_requirements(p)
    for (i in seq_len(nrow(req))) {
      if (!newer_or_equal(installed_version(req$name[i]), req$min[i])) {
        return(TRUE)
      }
    }
    todo <- c(todo, setdiff(req$name, seen))
  }
  FALSE
}

if (!needs_install()) {
  cat("CRAN packages present:", paste(targets, collapse = ", "), "\n")
  quit(status = 0L)
}

db <- utils::available.packages(repos = repos)
missing_targets <- setdiff(targets, rownames(db))
if (length(missing_targets)) {
  stop("not on CRAN: ", paste(missing_targets, collapse = ", "))
}
# The closure as the installed versions describe it, except for the
# packages to be installed, which bring CRAN's current requirements; a
# package is to be installed when it is missing or older than a minimum
# asked of it. Repeated until the set no longer grows.
install <- targets[is.na(vapply(targets, installed_version, ""))]
repeat {
  want <- list()
  seen <- character(0)
  todo <- targets
  while (length(todo)) {
    p <- todo[1L]
    todo <- todo[-1L]
    if (p %in% seen) next
    seen <- c(seen, p)
    from_cran <- p %in% install || is.na(installed_version(p))
    if (from_cran && !p %in% rownames(db)) next
    req <- if (from_cran) requirements(db[p, ]) else installed_requirements(p)
    for (i in seq_len(nrow(req))) {
      want[[req$name[i]]] <- c(want[[req$name[i]]], req$min[i])
    }
    todo <- c(todo, setdiff(req$name, seen))
  }
  more <- character(0)
  for (p in setdiff(names(want), install)) {
    have <- installed_version(p)
    mins <- stats::na.omit(want[[p]])
    if (is.na(have) || !all(vapply(mins, newer_or_equal, NA, have = have))) {
      more <- c(more, p)
    }
  }
  if (!length(more)) break
  install <- c(install, more)
}
cat("Installing from CRAN:", paste(install, collapse = ", "), "\n")
if (nzchar(Sys.getenv("BBB_CRAN_DRY_RUN"))) quit(status = 0L)
started <- proc.time()[["elapsed"]]
utils::install.packages(install, lib = .libPaths()[1L], repos = repos,
                        dependencies = NA, Ncpus = 2L, quiet = TRUE)
if (needs_install()) {
  stop("after installing, some requirement of ",
       paste(targets, collapse = ", "), " is still unmet")
}
cat(sprintf("CRAN install took %.0f s\n",
            proc.time()[["elapsed"]] - started))
