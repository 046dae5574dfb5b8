# The parsnip engine (R/ecosystem-parsnip.R) is registered when parsnip is
# loaded: now if it already is, otherwise by a hook on its loading, so that
# parsnip stays in Suggests and may be loaded before or after bbb.
.onLoad <- function(libname, pkgname) {
  if (isNamespaceLoaded("parsnip")) try_register_parsnip()
  hook <- function(...) try_register_parsnip()
  attr(hook, "bbb") <- TRUE
  set_parsnip_hooks(c(other_parsnip_hooks(), hook))
  invisible()
}

.onUnload <- function(libpath) set_parsnip_hooks(other_parsnip_hooks())

# The onLoad hooks of parsnip that are not bbb's (a bbb loaded again must
# not leave its old hook behind).
other_parsnip_hooks <- function() {
  hooks <- getHook(packageEvent("parsnip", "onLoad"))
  Filter(function(h) !isTRUE(attr(h, "bbb")), hooks)
}

set_parsnip_hooks <- function(hooks) {
  setHook(packageEvent("parsnip", "onLoad"), hooks, "replace")
}

# A failure to register must not stop bbb or parsnip from loading.
try_register_parsnip <- function() {
  tryCatch(register_parsnip_engine(), error = function(e) {
    warning("bbb could not register its engine for parsnip: ",
            conditionMessage(e), call. = FALSE)
  })
}
