#!/usr/bin/env bash
# Runs every test (unit tests and real-node integration tests) and ends with one summary line.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --tests || exit 1
# install, not just verify: the out-of-tree vendor example builds against the API in ~/.m2
mvn -B install "$@"
status=$?
# One closing line over every module's Surefire report, so a run that executed nothing shows.
tests=0; failures=0; errors=0; skipped=0
while IFS= read -r f; do
  line=$(grep -m1 -o '<testsuite [^>]*>' "$f")
  get() { echo "$line" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  tests=$((tests + $(get tests))); failures=$((failures + $(get failures)))
  errors=$((errors + $(get errors))); skipped=$((skipped + $(get skipped)))
done < <(find . \( -path '*/target/surefire-reports/TEST-*.xml' -o -path '*/target/failsafe-reports/TEST-*.xml' \) -not -path './.git/*')
failed=$((failures + errors))
passed=$((tests - failed - skipped))
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$status" -eq 0 ] && [ "$tests" -eq 0 ]; then exit 1; fi
exit "$status"
