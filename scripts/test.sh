#!/usr/bin/env bash
# Fresh clone → every test. Prints jest's report, then one plain closing line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
results=$(mktemp)
npx jest --ci --json --outputFile="$results" "$@"
rc=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
  if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) console.log(`(${r.numFailedTestSuites} test file(s) failed to run)`);
' "$results" || echo "0 passed, 1 failed"
rm -f "$results"
exit $rc
