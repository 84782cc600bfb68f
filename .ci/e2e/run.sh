#!/usr/bin/env bash
# End-to-end checks of the packages the way users meet them (real processes, no in-process shortcuts):
# pack to a local feed; a fresh consumer outside the solution restores P2PDma and builds with the analyzers;
# -warnaserror, the P2PAnalysisMode presets, an .editorconfig override, SARIF, and `dotnet format` applying
# the fixes, after which the consumer's DMA lands on the fabric; then the last steps again on a kernel-shaped driver stack.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/p2p-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
version="0.1.0-e2e.$(date +%s)"
feed="$work/feed"
timings=()

step() { # name, then the command
  local name=$1; shift
  local start=$(date +%s%N)
  echo "== e2e: $name"
  "$@"
  local ms=$(( ($(date +%s%N) - start) / 1000000 ))
  timings+=("$(printf '%-58s %4d.%d s' "$name" $((ms / 1000)) $(((ms % 1000) / 100)))")
}

fail() { echo "e2e FAILED: $*" >&2; exit 1; }

# The P2P diagnostics of a build log, as "file:line: ID severity" lines, sorted. MSBuild repeats every diagnostic in its
# summary: identical lines count once, while two diagnostics on one line (different messages) stay two.
diagnostics() {
  grep -E '\.cs\([0-9]+,[0-9]+\): (warning|error) P2P[0-9]{4}' "$1" | sort -u \
    | grep -oE '[A-Za-z0-9_./-]+\.cs\([0-9]+,[0-9]+\): (warning|error) P2P[0-9]{4}' \
    | sed -E 's#^.*/##; s#\(([0-9]+),[0-9]+\): (warning|error) (P2P[0-9]{4})#:\1: \3 \2#' | sort || true
}

build() { # log file, extra arguments...
  local log=$1; shift
  (cd "$proj" && dotnet build --no-incremental -nologo -p:P2PDmaVersion="$version" "$@") >"$log" 2>&1
}

pack() {
  dotnet pack "$repo/P2PAnalyzers.sln" -c Release -o "$feed" -p:Version="$version" -p:ContinuousIntegrationBuild=true -nologo -v q >"$work/pack.log" 2>&1 \
    || { cat "$work/pack.log"; fail "pack"; }
  ls "$feed"/P2PDma."$version".nupkg "$feed"/P2PAnalyzers."$version".nupkg >/dev/null
}

# The project the steps below work on: its source, its copy under $work, its project file, its expected diagnostics.
use_project() { origin=$1; proj=$2; csproj=$3; expected=$4; }

restore() {
  cp -r "$origin" "$proj"
  cat >"$proj/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <config><add key="globalPackagesFolder" value="$work/packages" /></config>
  <packageSources><clear /><add key="local" value="$feed" /></packageSources>
</configuration>
XML
  (cd "$proj" && dotnet restore -p:P2PDmaVersion="$version" -nologo) >"$work/restore.log" 2>&1 || { cat "$work/restore.log"; fail "restore"; }
}

expected_diagnostics() {
  build "$work/build.log" || { cat "$work/build.log"; fail "$csproj does not build"; }
  diagnostics "$work/build.log" >"$work/actual.txt"
  diff -u "$expected" "$work/actual.txt" || fail "the diagnostics of $csproj differ from $expected"
  echo "   $(wc -l <"$work/actual.txt") diagnostics, as expected"
}

warnaserror_fails() {
  if build "$work/werror.log" -warnaserror; then fail "-warnaserror did not fail the build"; fi
  grep -q 'error P2P' "$work/werror.log" || fail "-warnaserror failed, but not on a P2P diagnostic"
}

mode_none_silences() {
  build "$work/none.log" -p:P2PAnalysisMode=None || { cat "$work/none.log"; fail "P2PAnalysisMode=None build failed"; }
  [ -z "$(diagnostics "$work/none.log")" ] || fail "P2PAnalysisMode=None left P2P diagnostics"
}

mode_strict_errors() {
  if build "$work/strict.log" -p:P2PAnalysisMode=Strict; then fail "P2PAnalysisMode=Strict did not fail the build"; fi
  sed 's/ warning$/ error/' "$expected" >"$work/strict.expected"
  diagnostics "$work/strict.log" >"$work/strict.actual"
  diff -u "$work/strict.expected" "$work/strict.actual" || fail "Strict did not turn exactly the expected diagnostics into errors"
}

editorconfig_wins() {
  printf 'root = true\n[*.cs]\ndotnet_diagnostic.P2P0014.severity = suggestion\n' >"$proj/.editorconfig"
  build "$work/editorconfig.log" -p:P2PAnalysisMode=Strict || true
  rm "$proj/.editorconfig"
  diagnostics "$work/editorconfig.log" >"$work/editorconfig.actual"
  grep -q 'P2P0014' "$work/editorconfig.actual" && fail ".editorconfig did not win over the Strict preset for P2P0014"
  grep -q 'P2P0001 error' "$work/editorconfig.actual" || fail "the Strict preset did not apply to the other rules"
}

sarif_lists_rules() {
  build "$work/sarif.log" "-p:ErrorLog=$work/out.sarif%2Cversion%3D2.1" || { cat "$work/sarif.log"; fail "SARIF build"; }
  grep -q '"version": "2.1.0"' "$work/out.sarif" || fail "the error log is not SARIF 2.1.0"
  for id in $(sed -E 's/.* (P2P[0-9]{4}) .*/\1/' "$expected" | sort -u); do
    grep -qE "\"helpUri\": \"[^\"]*/docs/rules/$id\.md\"" "$work/out.sarif" || fail "SARIF has no help URI for $id"
  done
}

run_before_fix_misroutes() {
  if (cd "$proj" && dotnet run --no-build -p:P2PDmaVersion="$version") >"$work/run-before.log" 2>&1; then
    cat "$work/run-before.log"; fail "the DMA of $csproj landed before the fixes: the check proves nothing"
  fi
  grep -c 'MISROUTED' "$work/run-before.log" | sed 's/^/   misrouted or faulted before the fixes: /'
}

format_fixes_then_lands() {
  local ids
  ids=$(sed -E 's/.* (P2P[0-9]{4}) .*/\1/' "$expected" | sort -u | tr '\n' ' ')
  # shellcheck disable=SC2086
  (cd "$proj" && dotnet format analyzers "$csproj" --diagnostics $ids --severity warn --no-restore -v q) >"$work/format.log" 2>&1 \
    || { cat "$work/format.log"; fail "dotnet format analyzers"; }
  build "$work/fixed.log" || { cat "$work/fixed.log"; fail "the fixed $csproj does not build"; }
  # What no fix can remove is listed beside the expected diagnostics (<project>.after-format, each line with its reason
  # in the rule's page); without that file nothing may remain.
  local remains="${expected%.expected}.after-format"
  if [ -f "$remains" ]; then
    diagnostics "$work/fixed.log" >"$work/remaining.txt"
    grep -v '^#' "$remains" | diff -u - "$work/remaining.txt" || fail "the diagnostics left after dotnet format differ from $remains"
  else
    [ -z "$(diagnostics "$work/fixed.log")" ] || { diagnostics "$work/fixed.log"; fail "P2P diagnostics remain after dotnet format"; }
  fi
  (cd "$proj" && dotnet run --no-build -p:P2PDmaVersion="$version") >"$work/run-after.log" 2>&1 \
    || { cat "$work/run-after.log"; fail "the DMA of the fixed $csproj did not land"; }
  tail -n 1 "$work/run-after.log" | sed 's/^/   /'
}

step "pack both packages to a local feed" pack
use_project "$repo/.ci/e2e/consumer" "$work/consumer" Consumer.csproj "$repo/.ci/e2e/consumer.expected"
step "fresh consumer restores P2PDma from the feed" restore
step "build reports exactly the expected diagnostics" expected_diagnostics
step "-warnaserror fails the build" warnaserror_fails
step "P2PAnalysisMode=None silences the rules" mode_none_silences
step "P2PAnalysisMode=Strict makes them errors" mode_strict_errors
step ".editorconfig severity wins over the preset" editorconfig_wins
step "SARIF 2.1 lists the rules with help URIs" sarif_lists_rules
step "the unfixed consumer's DMA misroutes on the fabric" run_before_fix_misroutes
step "dotnet format applies the fixes; DMA lands" format_fixes_then_lands

# The same on a driver stack written as the kernel splits it: BAR cached at probe, builder and helper in their own
# file, the importer in another driver, the unmap in the completion.
use_project "$repo/.ci/e2e/kernel-driver" "$work/kernel-driver" KernelDriver.csproj "$repo/.ci/e2e/kernel-driver.expected"
step "kernel-shaped stack restores P2PDma from the feed" restore
step "kernel-shaped stack: exactly the expected diagnostics" expected_diagnostics
step "kernel-shaped stack: DMA misroutes, DMA debug finds" run_before_fix_misroutes
step "kernel-shaped stack: dotnet format fixes all; lands clean" format_fixes_then_lands

echo "== e2e timings"
printf '   %s\n' "${timings[@]}"
