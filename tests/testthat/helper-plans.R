# run() under plan(sequential), under plan(multisession, workers = 2) and
# with futures turned off (options(bbb.future = FALSE)); the plan and the
# option are put back afterwards.
under_plans <- function(run) {
  old <- future::plan("sequential")
  on.exit(future::plan(old), add = TRUE)
  sequential <- run()
  future::plan("multisession", workers = 2)
  multisession <- run()
  future::plan("sequential")
  old_opt <- options(bbb.future = FALSE)
  on.exit(options(old_opt), add = TRUE)
  list(sequential = sequential, multisession = multisession, off = run())
}
