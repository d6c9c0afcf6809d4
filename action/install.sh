#!/usr/bin/env bash
# The action's install step: decides where the customs binary comes from.
#
# 1. A customs already on PATH is used when no version is asked for, or when it is
#    that version (a self-hosted runner with customs installed, or an earlier step).
# 2. With a version: the release's prebuilt archive is downloaded, its SHA-256 is
#    checked against the release's checksum file, and its folder is added to PATH.
# 3. Otherwise the next steps build this action's own source with
#    `cargo install --locked`; this step says so in the `build` output, with the
#    hash of the action's Cargo.lock for the build cache's key (hashFiles() cannot
#    read files outside the workspace, and the action's files are outside it).
#
# Release archives are expected at
#   ${CUSTOMS_RELEASE_URL:-https://github.com/OWNER/REPO/releases/download}/vVERSION/customs-VERSION-TRIPLE.tar.gz
# with the checksum beside it (same name + .sha256) and the binary at the top of the
# archive or in one folder. OWNER/REPO is read from the action's own path, because
# github.action_repository is empty inside composite actions.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=action/lib.sh
. "$here/lib.sh"

fail() {
  annotate error "$1"
  printf 'customs action: %s\n' "$1" >&2
  exit 2
}

version=${INPUT_VERSION:-}
version=${version#v}
action_path=${GITHUB_ACTION_PATH:-$(cd "$here/.." && pwd)}

if command -v customs >/dev/null 2>&1; then
  found=$(customs --version 2>/dev/null || true)
  if [ -z "$version" ] || [ "$found" = "customs $version" ]; then
    echo "customs action: using ${found:-customs} at $(command -v customs)"
    set_output build false
    exit 0
  fi
  echo "customs action: ${found:-customs} on PATH is not the requested $version"
fi

if [ -z "$version" ]; then
  echo "customs action: no customs on PATH; building it from $action_path"
  set_output build true
  set_output lock-hash "$(sha256_of "$action_path/Cargo.lock")"
  exit 0
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) triple=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) triple=aarch64-unknown-linux-gnu ;;
  macOS/X64) triple=x86_64-apple-darwin ;;
  macOS/ARM64) triple=aarch64-apple-darwin ;;
  *) fail "no prebuilt customs for ${RUNNER_OS:-this OS}/${RUNNER_ARCH:-this CPU}; leave version empty to build it" ;;
esac

base=${CUSTOMS_RELEASE_URL:-}
if [ -z "$base" ]; then
  re='/_actions/([^/]+)/([^/]+)/'
  [[ $action_path =~ $re ]] ||
    fail "cannot tell which repository this action comes from ($action_path); set CUSTOMS_RELEASE_URL or leave version empty"
  base="https://github.com/${BASH_REMATCH[1]}/${BASH_REMATCH[2]}/releases/download"
fi

asset=customs-$version-$triple.tar.gz
dir=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/customs-$version
rm -rf -- "$dir"
mkdir -p -- "$dir/unpacked"
echo "customs action: downloading $asset"
curl --fail --silent --show-error --location --retry 3 -o "$dir/$asset" "$base/v$version/$asset" ||
  fail "cannot download customs $version ($asset); is it a released version?"
curl --fail --silent --show-error --location --retry 3 -o "$dir/$asset.sha256" "$base/v$version/$asset.sha256" ||
  fail "cannot download the checksum of $asset"
read -r expected _ <"$dir/$asset.sha256" || true
actual=$(sha256_of "$dir/$asset")
[ "$expected" = "$actual" ] || fail "$asset does not match its published SHA-256 (expected ${expected:-nothing}, got $actual)"

tar -xzf "$dir/$asset" -C "$dir/unpacked" || fail "cannot unpack $asset"
bin=''
for candidate in "$dir/unpacked/customs" "$dir"/unpacked/*/customs; do
  [ -f "$candidate" ] && bin=$(dirname -- "$candidate") && break
done
[ -n "$bin" ] || fail "$asset holds no customs binary"
chmod +x -- "$bin/customs"
found=$("$bin/customs" --version 2>/dev/null || true)
[ "$found" = "customs $version" ] || fail "$asset holds ${found:-an unrunnable binary}, not customs $version"

echo "customs action: installed $found in $bin"
printf '%s\n' "$bin" >>"${GITHUB_PATH:-/dev/null}"
set_output build false
