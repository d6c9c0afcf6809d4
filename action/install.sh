#!/usr/bin/env bash
# The action's install step: decides where the customs binary comes from.
#
# 1. A customs already on PATH is used when no version is asked for, or when it is
#    that version (a self-hosted runner with customs installed, or an earlier step).
# 2. With a version: the release's prebuilt archive is downloaded, its SHA-256 is
#    checked against the release's checksum file, and its folder is added to PATH.
# 3. Without one, the version is the action's own tag (`uses: OWNER/customs@v0.2.0`
#    downloads 0.2.0): GITHUB_ACTION_REF, else the ref in the action's path
#    (.../_actions/OWNER/REPO/REF/, since github.action_ref is empty inside composite
#    actions); a moving tag (v0, v0.2) means the version in the action's Cargo.toml
#    when that version is under it. When the ref is no release tag (a branch, a SHA)
#    or the release has no archive for this runner (HTTP 404, or no such file for a
#    file:// mirror), the next steps build this action's own source
#    with `cargo install --locked`; this step says so in the `build` output, with the
#    hash of the action's Cargo.lock for the build cache's key (hashFiles() cannot
#    read files outside the workspace, and the action's files are outside it).
#    Any other failure (the network, a checksum mismatch) stops the job: only a
#    release that does not exist is a reason to build.
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

build() {
  echo "customs action: $1; building it from $action_path"
  set_output build true
  set_output lock-hash "$(sha256_of "$action_path/Cargo.lock")"
  exit 0
}

# Where the version comes from: the input, or the action's own tag.
from_tag=false
if [ -z "$version" ]; then
  ref=${GITHUB_ACTION_REF:-}
  re='/_actions/[^/]+/[^/]+/([^/]+)/?$'
  if [ -z "$ref" ] && [[ $action_path =~ $re ]]; then
    ref=${BASH_REMATCH[1]}
  fi
  full='^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$'
  major='^v[0-9]+(\.[0-9]+)?$'
  if [[ $ref =~ $full ]]; then
    version=${ref#v}
    echo "customs action: no version asked; looking for the release of this action's tag $ref"
  elif [[ $ref =~ $major ]]; then
    # A moving tag (v0, v0.2) names the release it points at: the version in its Cargo.toml.
    version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$action_path/Cargo.toml" 2>/dev/null | head -n 1)
    [[ $version == "${ref#v}".* ]] ||
      build "no customs on PATH, and this action's tag $ref does not match its Cargo.toml's version (${version:-none})"
    echo "customs action: no version asked; looking for the release of this action's tag $ref ($version, from its Cargo.toml)"
  else
    build "no customs on PATH, and this action's ref (${ref:-unknown}) is no release tag"
  fi
  from_tag=true
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) triple=x86_64-unknown-linux-gnu ;;
  Linux/ARM64) triple=aarch64-unknown-linux-gnu ;;
  macOS/X64) triple=x86_64-apple-darwin ;;
  macOS/ARM64) triple=aarch64-apple-darwin ;;
  *)
    $from_tag && build "no prebuilt customs for ${RUNNER_OS:-this OS}/${RUNNER_ARCH:-this CPU}"
    fail "no prebuilt customs for ${RUNNER_OS:-this OS}/${RUNNER_ARCH:-this CPU}; leave version empty to build it"
    ;;
esac

base=${CUSTOMS_RELEASE_URL:-}
if [ -z "$base" ]; then
  re='/_actions/([^/]+)/([^/]+)/'
  if ! [[ $action_path =~ $re ]]; then
    $from_tag && build "cannot tell which repository this action comes from ($action_path) to download its release"
    fail "cannot tell which repository this action comes from ($action_path); set CUSTOMS_RELEASE_URL or leave version empty"
  fi
  base="https://github.com/${BASH_REMATCH[1]}/${BASH_REMATCH[2]}/releases/download"
fi

# fetch URL FILE: "ok", "missing" (HTTP 404, or no such file:// file), or curl's error.
fetch() {
  local code status=0
  code=$(curl --silent --show-error --location --retry 3 -o "$2" -w '%{http_code}' "$1" 2>"$2.err") || status=$?
  if [ "$status" -eq 0 ] && { [ "$code" = 200 ] || [ "$code" = 000 ]; }; then
    echo ok
  elif [ "$code" = 404 ] || [ "$status" -eq 37 ]; then
    echo missing
  elif [ "$status" -eq 0 ]; then
    echo "HTTP $code"
  else
    head -c 300 "$2.err" | tr '\n' ' '
  fi
}

asset=customs-$version-$triple.tar.gz
dir=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/customs-$version
rm -rf -- "$dir"
mkdir -p -- "$dir/unpacked"
echo "customs action: downloading $asset"
fetched=$(fetch "$base/v$version/$asset" "$dir/$asset")
if [ "$fetched" = missing ] && $from_tag; then
  rm -rf -- "$dir"
  build "release v$version has no $asset (not found at $base/v$version/)"
fi
[ "$fetched" != missing ] || fetched="not found"
[ "$fetched" = ok ] || fail "cannot download customs $version ($asset): $fetched; is it a released version?"
fetched=$(fetch "$base/v$version/$asset.sha256" "$dir/$asset.sha256")
[ "$fetched" != missing ] || fetched="not found"
[ "$fetched" = ok ] || fail "cannot download the checksum of $asset: $fetched"
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
