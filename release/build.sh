#!/usr/bin/env bash
# Builds the release files the GitHub Action's install step downloads
# (action/install.sh), for one target triple:
#
#   DIR/customs-VERSION-TRIPLE.tar.gz         the binary at the top, README.md, LICENSE if present
#   DIR/customs-VERSION-TRIPLE.tar.gz.sha256  "<hex>  <name>", as sha256sum writes it
#   DIR/customs-VERSION-TRIPLE.cdx.json       CycloneDX SBOM of customs, written by customs itself
#
# Usage: release/build.sh [--target TRIPLE] [--out DIR] [--binary PATH]
#        release/build.sh --check [--no-verify]
#
#   --target TRIPLE  build for TRIPLE (its Rust target must be installed); default: the host's
#   --out DIR        where the files go (default: dist/ at the top of the repository)
#   --binary PATH    package this already built customs instead of building one
#   --check          check the crate package instead (what `cargo install customs` would get):
#                    no test data is shipped, everything the build needs is; then
#                    `cargo package` writes the .crate and builds it (half a minute when the
#                    dependencies are already built, minutes when not; --no-verify skips the build)
#
# The build is `cargo auditable build --release --locked` when cargo-auditable is
# installed (the binary then carries its crate list, which customs reads from binaries
# in images), else `cargo build --release --locked`.
#
# The archive is reproducible: entries sorted, owner 0/0, fixed modes, every mtime
# SOURCE_DATE_EPOCH (default: the last commit's time), gzip without name or time.
# It needs GNU tar (`gtar` on macOS: brew install gnu-tar).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
  printf 'release/build.sh: %s\n' "$1" >&2
  exit 1
}

usage() {
  printf 'release/build.sh: %s\nusage: release/build.sh [--target TRIPLE] [--out DIR] [--binary PATH] | --check [--no-verify]\n' "$1" >&2
  exit 2
}

target='' out="$root/dist" binary='' check=false verify=--verify
while [ $# -gt 0 ]; do
  case $1 in
    --target | --out | --binary)
      [ $# -ge 2 ] && [ -n "$2" ] || usage "$1 needs a value"
      case $1 in
        --target) target=$2 ;;
        --out) out=$2 ;;
        --binary) binary=$2 ;;
      esac
      shift 2
      ;;
    --check) check=true && shift ;;
    --no-verify) verify=--no-verify && shift ;;
    *) usage "unknown argument: $1" ;;
  esac
done

cargo=${CARGO:-cargo}

# --check: the crate package. Paths are relative to the repository's top.
if $check; then
  cd "$root"
  listing=$("$cargo" package --list --locked --allow-dirty 2>/dev/null) ||
    die "cargo package --list failed; run it yourself to see why"
  shipped=$(grep -E '^(fixtures|tests|benches|deploy|fuzz|dist|release|docs/workflows)/' <<<"$listing" || true)
  [ -z "$shipped" ] ||
    die "the crate package would ship files it must not (add them to exclude in Cargo.toml):
$shipped"
  for needed in Cargo.toml Cargo.lock build.rs README.md src/main.rs src/lib.rs; do
    grep -qxF "$needed" <<<"$listing" || die "the crate package lacks $needed (check exclude in Cargo.toml)"
  done
  grep -q '^advisories/.*\.json$' <<<"$listing" ||
    die "the crate package lacks advisories/*.json, which build.rs compiles in (check exclude in Cargo.toml)"
  if [ "$verify" = --verify ]; then
    "$cargo" package --locked --allow-dirty --quiet || die "cargo package failed: the crate package does not build"
  else
    "$cargo" package --no-verify --locked --allow-dirty --quiet || die "cargo package --no-verify failed"
  fi
  echo "release/build.sh: the crate package ships $(wc -l <<<"$listing") files, no test data"
  exit 0
fi

version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$root/Cargo.toml" | head -n 1)
[ -n "$version" ] || die "cannot read the package version from $root/Cargo.toml"

host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p') || true
if [ -z "$target" ]; then
  [ -n "$host" ] || die "cannot tell the host's target triple (is rustc on PATH?); pass --target TRIPLE"
  target=$host
fi
case $target in
  *[!A-Za-z0-9._-]* | '') usage "not a target triple: $target" ;;
esac

tar=tar
if ! tar --version 2>/dev/null | grep -q 'GNU tar'; then
  command -v gtar >/dev/null 2>&1 || die "reproducible archives need GNU tar (on macOS: brew install gnu-tar)"
  tar=gtar
fi

if [ -n "$binary" ]; then
  [ -f "$binary" ] || die "$binary: no such binary"
  binary=$(cd "$(dirname -- "$binary")" && pwd)/$(basename -- "$binary")
else
  cd "$root"
  target_args=()
  [ "$target" = "$host" ] || target_args=(--target "$target")
  # The release profile keeps line tables for profiling and benchmarks; a released binary
  # goes without (about 123 MB → 26 MB on x86_64 Linux; symbols stay, so a panic still names
  # its functions, and cargo-auditable's crate list is a section of its own, kept).
  export CARGO_PROFILE_RELEASE_STRIP="${CARGO_PROFILE_RELEASE_STRIP:-debuginfo}"
  if "$cargo" auditable --version >/dev/null 2>&1; then
    echo "release/build.sh: cargo auditable build --release --locked ${target_args[*]+${target_args[*]}}"
    "$cargo" auditable build --release --locked ${target_args[@]+"${target_args[@]}"} || die "the build failed"
  else
    echo "release/build.sh: cargo-auditable is not installed (cargo install cargo-auditable --locked);" \
      "the binary will not carry its crate list"
    "$cargo" build --release --locked ${target_args[@]+"${target_args[@]}"} || die "the build failed"
  fi
  target_dir=$("$cargo" metadata --format-version 1 --no-deps --locked |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
  [ -n "$target_dir" ] || die "cannot find cargo's target directory (cargo metadata)"
  binary=$target_dir/${target_args[1]:+${target_args[1]}/}release/customs
  [ -f "$binary" ] || die "the build wrote no $binary"
fi

# The packaged binary writes the SBOM, so it must run here; a cross build needs a
# customs of the same version on PATH (or in $CUSTOMS) to do it.
runner=$binary
if [ "$("$binary" --version 2>/dev/null || true)" != "customs $version" ]; then
  [ "$target" != "$host" ] || die "$binary is not customs $version (it says: $("$binary" --version 2>&1 | head -n 1))"
  runner=${CUSTOMS:-$(command -v customs || true)}
  [ -n "$runner" ] && [ "$("$runner" --version 2>/dev/null || true)" = "customs $version" ] ||
    die "$binary (for $target) does not run here; put a customs $version for this machine on PATH to write the SBOM"
fi

. "$root/release/epoch.sh"

name=customs-$version-$target
mkdir -p -- "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
staging=$(mktemp -d)
trap 'rm -rf -- "$staging"' EXIT

# Listed in byte order (LC_ALL=C): tar keeps the order of the names it is given.
files=()
if [ -f "$root/LICENSE" ]; then
  install -m 0644 -- "$root/LICENSE" "$staging/LICENSE"
  files+=(LICENSE)
fi
install -m 0644 -- "$root/README.md" "$staging/README.md"
install -m 0755 -- "$binary" "$staging/customs"
files+=(README.md customs)

"$tar" --sort=name --format=ustar --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
  -C "$staging" -cf - -- "${files[@]}" | gzip -n >"$staging/$name.tar.gz" ||
  die "cannot write $name.tar.gz"

(
  cd "$staging"
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum -- "$name.tar.gz" >"$name.tar.gz.sha256"
  else
    shasum -a 256 -- "$name.tar.gz" >"$name.tar.gz.sha256"
  fi
) || die "cannot write $name.tar.gz.sha256"

# The SBOM of the lockfile the binary was built from (`--locked`): every crate the
# build could use, dev-dependencies and other platforms' crates included.
(cd "$root" && SOURCE_DATE_EPOCH=$epoch "$runner" sbom Cargo.lock --format cyclonedx \
  --output "$staging/$name.cdx.json") || die "customs sbom Cargo.lock failed"

# Moved in only when all three are complete, so a failed run leaves no partial release.
mv -f -- "$staging/$name.tar.gz" "$staging/$name.tar.gz.sha256" "$staging/$name.cdx.json" "$out/"
echo "release/build.sh: wrote $name.tar.gz, $name.tar.gz.sha256 and $name.cdx.json in $out"
