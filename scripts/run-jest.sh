#!/usr/bin/env bash
# jest with a JSON report, then one plain closing line "N passed, N failed" (CI reads it; jest's
# own summary is not machine-read). Used by scripts/test.sh and scripts/test-node24.sh; extra
# arguments go to jest.
set -uo pipefail
results=$(mktemp) || exit 1
trap 'rm -f "$results"' EXIT
npx jest --ci --json --outputFile="$results" "$@"
rc=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) console.log(`(${r.numFailedTestSuites} test file(s) failed to run)`);
' "$results" || echo "0 passed, 1 failed"
exit $rc
