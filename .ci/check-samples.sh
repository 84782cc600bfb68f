#!/usr/bin/env bash
# The README's main job: build the sample drivers; the P2P diagnostics must be exactly those in
# .ci/samples.expected (file:line: ID). Then the runnable samples must show their DMA landing.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
dotnet build samples/Samples.sln --no-incremental -nologo -v q >"$log" 2>&1 || { cat "$log"; exit 1; }
grep -E '\.cs\([0-9]+,[0-9]+\): warning P2P[0-9]{4}' "$log" | sort -u \
  | grep -oE 'samples/[A-Za-z0-9_./-]+\.cs\([0-9]+,[0-9]+\): warning P2P[0-9]{4}' \
  | sed -E 's#\(([0-9]+),[0-9]+\): warning (P2P[0-9]{4})#:\1: \2#' | sort >"$log.actual"
diff -u .ci/samples.expected "$log.actual" || { echo "sample diagnostics changed: update .ci/samples.expected and the README quote" >&2; exit 1; }
echo "samples: $(wc -l <"$log.actual") diagnostics, as expected"
rm -f "$log.actual"
dotnet run --project samples/FabricDemo -c Release
dotnet run --project samples/ProperDrivers -c Release
