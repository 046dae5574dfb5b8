# Developer targets for memory-safety checks of the C engine. Each builds the
# package from this folder into a temporary library (never into your R
# libraries or into src/) and prints a one-line summary; see tools/README.md.

.PHONY: help sanitize valgrind fuzz memcheck

TOOLS := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))tools

help:
	@echo "make sanitize   tests under AddressSanitizer + UBSan (tools/sanitize.sh)"
	@echo "make valgrind   tests under valgrind memcheck (tools/valgrind.sh)"
	@echo "make fuzz       long fuzzing run of the .Call entry points (tools/fuzz.sh)"
	@echo "make memcheck   all three"

sanitize:
	bash $(TOOLS)/sanitize.sh

valgrind:
	bash $(TOOLS)/valgrind.sh

fuzz:
	bash $(TOOLS)/fuzz.sh

memcheck: sanitize valgrind fuzz
