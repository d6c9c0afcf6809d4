#!/usr/bin/env bash
# Builds every fuzz target once, then runs each for a bounded time and says what it
# found. Exits non-zero when any target crashed, timed out or ran out of memory.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s, every target)
#
# Per target: the inputs under fuzz/regressions/<target>/ are replayed first (every
# crash found so far, kept for good), then libFuzzer runs from the corpus
# fuzz/corpus/<target>/ (seeded from fixtures/ by fuzz/seed.py; grows as it runs) for
# SECONDS_PER_TARGET with a 512 MiB memory limit and a 10 s limit per input. A finding
# is saved under fuzz/artifacts/<target>/ and its log kept in fuzz/logs/<target>.log.
# fuzz/logs/summary.tsv gets one line per target: seconds fuzzed, executions, outcome.
#
# Environment: FUZZ_TARGET_DIR (default fuzz/target) is where the targets are built;
# FUZZ_JOBS (default 1) how many cores the build may use; FUZZ_PROFILE `release`
# (default: optimised, for long runs) or `dev` (unoptimised, builds in about half the
# time: CI's choice); FUZZ_RSS_MB (512),
# FUZZ_TIMEOUT (10) the per-input limits. Needs cargo-fuzz, installed here
# (`cargo install cargo-fuzz --locked`) when missing. The toolchain is stable, so the
# targets are built with `--sanitizer none` (coverage instrumentation only).
set -euo pipefail
fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
cd "$fuzz_dir"

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]" >&2
  exit 2
fi
all_targets=($(ls fuzz_targets | sed -n 's/\.rs$//p'))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [ ! -f "fuzz_targets/$t.rs" ]; then
    echo "fuzz: no target $t; the targets are: ${all_targets[*]}" >&2
    exit 2
  fi
done

export PATH="$HOME/.cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

target_dir="${FUZZ_TARGET_DIR:-$fuzz_dir/target}"
rss_mb="${FUZZ_RSS_MB:-512}"
per_input="${FUZZ_TIMEOUT:-10}"
profile="${FUZZ_PROFILE:-release}"
case "$profile" in
  # cargo-fuzz's default: optimised, with debug assertions and overflow checks.
  release) build_flags=(--codegen-units 16) ;;
  # Line tables only: smaller and quicker to link than full debug info.
  dev) build_flags=(--dev); export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}" ;;
  *) echo "fuzz: FUZZ_PROFILE is release or dev, not $profile" >&2; exit 2 ;;
esac
build_flags+=(--sanitizer none --target-dir "$target_dir")
# One binary holds every target (fuzz/every_target.rs, the target named by
# CUSTOMS_FUZZ_TARGET): one instrumented link instead of one per target saves minutes
# and gigabytes of disk.
echo "fuzz: building every target into one binary in $target_dir"
CARGO_BUILD_JOBS="${FUZZ_JOBS:-1}" cargo fuzz build "${build_flags[@]}" every_target
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin="$target_dir/$triple/$([ "$profile" = dev ] && echo debug || echo release)/every_target"

python3 seed.py "${targets[@]}"
mkdir -p logs
summary=logs/summary.tsv
[ -f "$summary" ] || printf 'date\ttarget\tseconds\texecutions\toutcome\n' >"$summary"

failed=()
# Targets that only read paths write their input to a scratch folder per process
# (src/fuzzing.rs); it lives here, and goes when the run ends however it ends.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/customs-fuzz-run.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export TMPDIR="$scratch"
for t in "${targets[@]}"; do
  log="logs/$t.log"
  mkdir -p "artifacts/$t" "corpus/$t"
  limits=(-rss_limit_mb="$rss_mb" -timeout="$per_input" -malloc_limit_mb="$rss_mb")
  outcome=ok
  # Regressions first: each file is run once, any failure is a finding.
  if [ -d "regressions/$t" ] && [ -n "$(ls -A "regressions/$t")" ]; then
    if ! CUSTOMS_FUZZ_TARGET="$t" "$bin" "${limits[@]}" "regressions/$t"/* >"$log" 2>&1; then
      outcome="regression fails"
    fi
  fi
  execs=0
  started=$SECONDS
  if [ "$outcome" = ok ] && [ "$seconds" -gt 0 ]; then
    dict=()
    [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
    if ! CUSTOMS_FUZZ_TARGET="$t" "$bin" "${limits[@]}" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="artifacts/$t/" "corpus/$t" >>"$log" 2>&1; then
      if grep -q "ERROR: libFuzzer: timeout" "$log"; then outcome=timeout
      elif grep -q "out-of-memory\|malloc(.*) exceeds limit" "$log"; then outcome=oom
      else outcome=crash
      fi
    fi
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  fi
  elapsed=$((SECONDS - started))
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$elapsed" "${execs:-0}" "$outcome" >>"$summary"
  printf 'fuzz: %-20s %5ss %10s execs  %s\n' "$t" "$elapsed" "${execs:-0}" "$outcome"
  if [ "$outcome" != ok ]; then
    failed+=("$t")
    grep -m1 -A12 "panicked at\|ERROR: libFuzzer" "$log" | sed 's/^/    /' || true
    ls "artifacts/$t" | sed "s|^|    artifact: fuzz/artifacts/$t/|" || true
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: findings in ${failed[*]} (logs in fuzz/logs/, inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} target(s), no finding"
