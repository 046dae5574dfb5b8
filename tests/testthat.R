library(testthat)
library(bbb)

test_check("bbb")
