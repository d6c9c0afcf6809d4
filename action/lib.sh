# shellcheck shell=bash
# Helpers shared by the action's scripts (sourced, not run).
#
# They speak the runner's file protocols ($GITHUB_OUTPUT, $GITHUB_PATH) and
# workflow commands (::error::), so the scripts themselves only decide what to do.

# set_output NAME VALUE: one step output. Always the heredoc form with a delimiter
# the value cannot contain, so a value with a newline (a report path can hold one)
# cannot end the record early or inject another output.
set_output() {
  local name=$1 value=$2 delimiter
  if [ -z "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$name" "$value"
    return
  fi
  delimiter="customs_${RANDOM}${RANDOM}${RANDOM}"
  while [[ $value == *"$delimiter"* ]]; do
    delimiter="customs_${RANDOM}${RANDOM}${RANDOM}"
  done
  printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >>"$GITHUB_OUTPUT"
}

# escape_command TEXT: a workflow command's message must encode %, CR and LF, or a
# multi-line message is cut at its first line (and % sequences are misread).
escape_command() {
  local text=$1
  text=${text//'%'/'%25'}
  text=${text//$'\r'/'%0D'}
  text=${text//$'\n'/'%0A'}
  printf '%s' "$text"
}

# annotate LEVEL MESSAGE: an annotation (error, warning, notice) on the run's page.
annotate() {
  printf '::%s title=customs::%s\n' "$1" "$(escape_command "$2")"
}

# sha256_of FILE: the hex digest, with whichever tool the runner has (macOS ships
# shasum, Linux sha256sum).
sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}
