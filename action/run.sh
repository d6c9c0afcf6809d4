#!/usr/bin/env bash
# The action's scan step. Reads the inputs from INPUT_* variables (a composite action
# does not export its inputs: action.yml passes each one in the step's `env:`),
# updates the advisory database, scans, and writes the step outputs and the job
# summary. Exits with customs' own exit code — 0 clean, 1 findings at or above
# fail-on, 2 error — after the outputs are written, so later steps can read them
# even when this one fails the job.
#
# customs renders one format per run, so the requested report, the JSON the counts
# come from and the Markdown summary are separate runs. Only the first compiles or
# reads anything slow: the database is compiled once and cached, and a warm rerun of
# a lockfile scan takes about 10 ms (docs/github-action.md, "Costs").
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=action/lib.sh
. "$here/lib.sh"

scan_type=${INPUT_SCAN_TYPE:-fs}
target=${INPUT_TARGET:-.}
format=${INPUT_FORMAT:-sarif}
output=${INPUT_OUTPUT:-}
fail_on=${INPUT_FAIL_ON:-}
ignore_file=${INPUT_IGNORE_FILE:-}
policy=${INPUT_POLICY:-}
key=${INPUT_KEY:-}
trusted_root=${INPUT_TRUSTED_ROOT:-}
identity=${INPUT_CERTIFICATE_IDENTITY:-}
identity_regexp=${INPUT_CERTIFICATE_IDENTITY_REGEXP:-}
issuer=${INPUT_CERTIFICATE_OIDC_ISSUER:-}
issuer_regexp=${INPUT_CERTIFICATE_OIDC_ISSUER_REGEXP:-}
check_reference=${INPUT_CHECK_REFERENCE:-false}
ignore_sct=${INPUT_INSECURE_IGNORE_SCT:-false}
db_mirror=${INPUT_DB_MIRROR:-}
offline=${INPUT_OFFLINE:-false}

# What the outputs will say. Counts stay empty (not 0) when no report says them.
exit_code=2
report=''
count_critical='' count_high='' count_medium='' count_low='' count_unknown='' count_total=''
work=''
finished=false

write_outputs() {
  set_output report "$report"
  set_output exit-code "$exit_code"
  local name value
  for name in critical high medium low unknown total; do
    value="count_$name"
    set_output "$name" "${!value}"
  done
}

# Runs on every exit: the outputs are written even when something unexpected stops
# the script (then the exit code is 2, an error).
# shellcheck disable=SC2317 # called by the trap
on_exit() {
  local status=$?
  if [ "$finished" = false ]; then
    exit_code=2
    [ "$status" -ne 0 ] && annotate error "the customs action stopped unexpectedly (status $status); see the log"
    write_outputs
  fi
  [ -n "$work" ] && rm -rf -- "$work"
  exit "$exit_code"
}
trap on_exit EXIT

finish() {
  write_outputs
  finished=true
  exit "$exit_code"
}

# fail MESSAGE: a usage error (bad input, missing feature): exit code 2, as customs
# itself would give.
fail() {
  annotate error "$1"
  printf 'customs action: %s\n' "$1" >&2
  exit_code=2
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    printf '## customs\n\nThe scan did not run: %s\n' "$1" >>"$GITHUB_STEP_SUMMARY"
  fi
  finish
}

# supports HELP FLAG: whether a subcommand's --help lists FLAG. Features arrive in
# customs over time; the action asks the binary rather than assuming a version.
supports() {
  local re="(^|[[:space:]])$2([[:space:]=<,]|\$)"
  [[ $1 =~ $re ]]
}

# read_counts JSON: the counts from the `summary` object of customs' JSON report
# (docs/json-format.md). It is pretty-printed with two-space indentation, one field
# a line, and the severity names do not collide with the summary's own fields, so
# every `"name": number` line inside the object is one count. awk, not jq: it is on
# every runner, self-hosted ones included.
read_counts() {
  local key value found=false
  while IFS='=' read -r key value; do
    found=true
    case $key in
      critical | high | medium | low | unknown) printf -v "count_$key" '%s' "$value" ;;
      vulnerabilities) count_total=$value ;;
    esac
  done < <(awk '
    /^  "summary": \{/ { inside = 1; print "summary=1"; next }
    inside && /^  \}/ { exit }
    inside && match($0, /"[a-z_]+": [0-9]+/) {
      pair = substr($0, RSTART, RLENGTH); gsub(/"/, "", pair); sub(/: /, "=", pair); print pair
    }' "$1")
  if [ "$found" = true ]; then
    # A severity with no vulnerabilities is absent from by_severity: zero.
    local name
    for name in critical high medium low unknown total; do
      value="count_$name"
      [ -n "${!value}" ] || printf -v "count_$name" '0'
    done
  fi
}

case $format in
  table) extension=txt ;;
  json) extension=json ;;
  sarif) extension=sarif ;;
  markdown) extension=md ;;
  *) fail "format must be table, json, sarif or markdown, not \"$format\"" ;;
esac
case $offline in
  true | false) ;;
  *) fail "offline must be true or false, not \"$offline\"" ;;
esac
for switch in "check-reference=$check_reference" "insecure-ignore-sct=$ignore_sct"; do
  case ${switch#*=} in
    true | false) ;;
    *) fail "${switch%%=*} must be true or false, not \"${switch#*=}\"" ;;
  esac
done
case $scan_type in
  fs | image | sbom | verify) ;;
  *) fail "scan-type must be fs, image, sbom or verify, not \"$scan_type\"" ;;
esac
if [ "$scan_type" = verify ]; then
  # A keyless identity is a subject and the issuer that vouched for it: either half
  # alone would accept anyone that issuer (or any issuer) certified.
  [ -n "$identity" ] && [ -n "$identity_regexp" ] &&
    fail "set certificate-identity or certificate-identity-regexp, not both"
  [ -n "$issuer" ] && [ -n "$issuer_regexp" ] &&
    fail "set certificate-oidc-issuer or certificate-oidc-issuer-regexp, not both"
  identity_input=certificate-identity issuer_input=certificate-oidc-issuer
  [ -n "$identity" ] || identity_input=certificate-identity-regexp
  [ -n "$issuer" ] || issuer_input=certificate-oidc-issuer-regexp
  [ -n "$identity$identity_regexp" ] && [ -z "$issuer$issuer_regexp" ] &&
    fail "$identity_input needs certificate-oidc-issuer (or certificate-oidc-issuer-regexp) too: a subject means nothing without the issuer that vouched for it"
  [ -n "$issuer$issuer_regexp" ] && [ -z "$identity$identity_regexp" ] &&
    fail "$issuer_input needs certificate-identity (or certificate-identity-regexp) too: the issuer alone would accept anyone it certified"
fi
output=${output:-customs-report.$extension}

command -v customs >/dev/null 2>&1 || fail "customs is not on PATH (the action's install step should have put it there)"
version=$(customs --version 2>/dev/null || echo "customs (unknown version)")
echo "customs action: using $version at $(command -v customs)"

# Targets, outputs and the policy are relative to the repository, as in any other step.
cd "${GITHUB_WORKSPACE:-.}"
work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/customs-action.XXXXXX")

# The advisory database. Offline: a local mirror (folder, zip or database file) is
# handed to the scan as --db, which compiles it once into the cache; otherwise the
# cached database is used as it is. Online: `db update` refreshes the cache first.
db_flags=()
if [ "$offline" = true ]; then
  db_flags+=(--offline)
  case $db_mirror in
    '') ;;
    http://* | https://*) annotate warning "offline: the db-mirror URL is not contacted; the scan uses the cached database" ;;
    *) db_flags+=("--db=${db_mirror#file://}") ;;
  esac
elif [ "$scan_type" != verify ]; then
  update=(db update)
  [ -n "$db_mirror" ] && update+=("--mirror=$db_mirror")
  if ! customs "${update[@]}"; then
    annotate warning "customs db update failed; the scan uses the database already in the cache, if there is one"
  fi
fi

if [ "$scan_type" = verify ]; then
  verify_help=$(customs verify --help 2>/dev/null) ||
    fail "scan-type verify needs signature verification (customs verify), which $version does not have yet; use fs, image or sbom"
  verify=(verify)
  # verify_flag NAME VALUE: `--NAME=VALUE` (each input has its flag's name). A
  # signature constraint this customs cannot apply stops the step: dropping it would
  # let signatures through that the workflow meant to refuse.
  verify_flag() {
    supports "$verify_help" "--$1" ||
      fail "$1 is set, but $version has no customs verify --$1; the image is not verified without that constraint (use a customs version that has it)"
    verify+=("--$1=$2")
  }
  # Several keys, one a line or separated by commas: any one of them is enough.
  while IFS= read -r entry; do
    entry=${entry#"${entry%%[![:space:]]*}"}
    entry=${entry%"${entry##*[![:space:]]}"}
    [ -z "$entry" ] || verify_flag key "$entry"
  done < <(printf '%s\n' "$key" | tr ',' '\n')
  [ -z "$trusted_root" ] || verify_flag trusted-root "$trusted_root"
  [ -z "$identity" ] || verify_flag certificate-identity "$identity"
  [ -z "$identity_regexp" ] || verify_flag certificate-identity-regexp "$identity_regexp"
  [ -z "$issuer" ] || verify_flag certificate-oidc-issuer "$issuer"
  [ -z "$issuer_regexp" ] || verify_flag certificate-oidc-issuer-regexp "$issuer_regexp"
  # Switches: `--NAME` alone. A stricter check this customs lacks stops the step like the
  # others; the looser one (ignoring SCTs) is refused too rather than silently kept strict.
  verify_switch() {
    supports "$verify_help" "--$1" ||
      fail "$1 is true, but $version has no customs verify --$1 (use a customs version that has it)"
    verify+=("--$1")
  }
  [ "$check_reference" = false ] || verify_switch check-reference
  [ "$ignore_sct" = false ] || verify_switch insecure-ignore-sct
  if [ -n "$policy" ] && supports "$verify_help" --config; then
    verify+=("--config=$policy")
  fi
  exit_code=0
  customs "${verify[@]}" -- "$target" || exit_code=$?
  [ "$exit_code" -le 2 ] || exit_code=2
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    # shellcheck disable=SC2016 # the backquotes are Markdown
    printf '## customs verify\n\n`%s`: exit code %s\n' "$target" "$exit_code" >>"$GITHUB_STEP_SUMMARY"
  fi
  finish
fi

scan_help=$(customs scan --help 2>/dev/null || true)
case $scan_type in
  fs) subject=(-- "$target") ;;
  sbom) subject=("--sbom=$target") ;;
  image)
    supports "$scan_help" --image ||
      fail "scan-type image needs image scanning (customs scan --image), which $version does not have yet"
    subject=("--image=$target")
    ;;
esac

flags=(${db_flags[@]+"${db_flags[@]}"})
[ -n "$fail_on" ] && flags+=("--fail-on=$fail_on")
if [ -n "$ignore_file" ]; then
  if supports "$scan_help" --ignore-file; then
    flags+=("--ignore-file=$ignore_file")
  else
    annotate warning "$version has no --ignore-file yet: $ignore_file is not applied, so every finding is reported"
  fi
fi
if [ -n "$policy" ]; then
  if supports "$scan_help" --config; then
    flags+=("--config=$policy")
  else
    annotate notice "$version does not read a policy file yet (--config): $policy is ignored"
  fi
fi

# scan FORMAT FILE [GLOBAL FLAGS...]: one run of the same scan, rendered as FORMAT.
scan() {
  local as=$1 file=$2
  shift 2
  customs ${1+"$@"} scan ${flags[@]+"${flags[@]}"} "--format=$as" "--output=$file" "${subject[@]}"
}

# The requested report. A stale file from an earlier run must not pass for this one.
rm -f -- "$output"
mkdir -p -- "$(dirname -- "$output")"
exit_code=0
scan "$format" "$output" 2>"$work/stderr" || exit_code=$?
cat -- "$work/stderr" >&2
if [ "$exit_code" -gt 2 ]; then
  annotate error "customs exited with $exit_code"
  exit_code=2
fi
[ -f "$output" ] && report=$output
errors=''
if [ "$exit_code" -eq 2 ]; then
  errors=$(sed -n 's/^error: //p' "$work/stderr")
  annotate error "${errors:-customs exited with 2 while scanning $target; see the log}"
fi

# The counts, from the same scan as JSON.
json=$work/report.json
if [ "$format" = json ]; then
  json=$output
else
  scan json "$json" --quiet 2>/dev/null || true
fi
[ -f "$json" ] && read_counts "$json"

# The job summary, from the same scan as Markdown.
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  markdown=$work/summary.md
  if [ "$format" = markdown ]; then
    markdown=$output
  else
    scan markdown "$markdown" --quiet 2>/dev/null || true
  fi
  if [ -f "$markdown" ]; then
    cat -- "$markdown" >>"$GITHUB_STEP_SUMMARY"
  else
    # shellcheck disable=SC2016 # the backquotes are Markdown
    printf '## customs scan\n\nNo report: customs could not scan `%s` (exit code %s).\n\n```\n%s\n```\n' \
      "$target" "$exit_code" "${errors:-see the log}" >>"$GITHUB_STEP_SUMMARY"
  fi
fi

echo "customs action: ${count_total:-?} vulnerabilities (critical ${count_critical:-?}, high ${count_high:-?}," \
  "medium ${count_medium:-?}, low ${count_low:-?}, unknown ${count_unknown:-?}); report ${report:-none};" \
  "exit code $exit_code"
finish
