#!/usr/bin/env bash
# Assembles customs' own container image without a Docker daemon (skopeo, umoci, GNU
# tar, jq), from customs binaries that are already built, on top of a base image:
#
#   DIR/customs-VERSION.oci/        an OCI layout; its tag VERSION is an image index with
#                                   one image per --binary (linux/amd64, linux/arm64)
#   DIR/customs-VERSION.oci.tar     the same layout as an oci-archive (skopeo, podman load)
#   DIR/customs-VERSION.oci.digest  the index's digest (sha256:…), what is signed and attested
#
# Usage: release/image.sh --base REF --binary PLATFORM=PATH [--binary PLATFORM=PATH]
#                         [--base-name NAME] [--out DIR] [--revision SHA] [--source URL]
#                         [--push REF [--push-insecure]]
#
#   --base REF          the base image, any reference skopeo copies (docker://…, oci:…,
#                       oci-archive:…); the release workflow uses docker://gcr.io/distroless/cc-debian12:nonroot
#                       (pin it by digest in your copy). A list is fine: each platform's image is taken from it.
#   --binary P=PATH     the customs binary for platform P (linux/amd64 or linux/arm64); it
#                       must be an ELF binary for that CPU
#   --base-name NAME    the name written as org.opencontainers.image.base.name
#                       (default: REF without its transport)
#   --out DIR           where the files go (default: dist/ at the top of the repository)
#   --revision SHA      org.opencontainers.image.revision (default: git rev-parse HEAD)
#   --source URL        org.opencontainers.image.source (default: $GITHUB_SERVER_URL/$GITHUB_REPOSITORY
#                       in a workflow, else the origin remote's URL)
#   --push REF          then copy the index and its images to docker://REF, digests preserved
#   --push-insecure     push over plain HTTP / without checking TLS (a test registry)
#
# Why a given base rather than a root filesystem made here from Debian's .deb files: the
# binary is linked against glibc and needs libc6, libgcc-s1, ca-certificates (TLS roots) and
# tzdata, and distroless's cc image is exactly that, with no shell or package manager, a
# `nonroot` user (65532) and one /var/lib/dpkg/status.d/ file per package, so customs and
# other scanners list its OS packages. Unpacking .debs here would repeat that work, and
# skip what their maintainer scripts do (ca-certificates builds its bundle in postinst).
# The base is recorded in the org.opencontainers.image.base.name/.base.digest annotations,
# which customs' own base-image policy reads.
#
# What this adds on top of the base, in one layer: /customs (0755, root-owned) and
# /var/lib/customs (owned 65532:65532), the cache (CUSTOMS_CACHE_DIR), declared a volume:
# mount one there when the root filesystem is read-only. User 65532:65532, entrypoint
# ["/customs"], the base's Cmd cleared, org.opencontainers.image.* labels and annotations.
#
# Reproducible: every time is SOURCE_DATE_EPOCH (default: the last commit's time), the
# layer's entries are sorted with fixed owners and modes, the JSON is written by jq and
# umoci in a fixed order; the same base, binaries and options give the same digest.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
  printf 'release/image.sh: %s\n' "$1" >&2
  exit 1
}

usage() {
  printf 'release/image.sh: %s\nusage: release/image.sh --base REF --binary PLATFORM=PATH [--binary PLATFORM=PATH] [--base-name NAME] [--out DIR] [--revision SHA] [--source URL] [--push REF [--push-insecure]]\n' "$1" >&2
  exit 2
}

base='' base_name='' out="$root/dist" revision='' source_url='' push='' push_tls=true
binaries=()
while [ $# -gt 0 ]; do
  case $1 in
    --base | --binary | --base-name | --out | --revision | --source | --push)
      [ $# -ge 2 ] && [ -n "$2" ] || usage "$1 needs a value"
      case $1 in
        --base) base=$2 ;;
        --binary) binaries+=("$2") ;;
        --base-name) base_name=$2 ;;
        --out) out=$2 ;;
        --revision) revision=$2 ;;
        --source) source_url=$2 ;;
        --push) push=$2 ;;
      esac
      shift 2
      ;;
    --push-insecure) push_tls=false && shift ;;
    *) usage "unknown argument: $1" ;;
  esac
done
[ -n "$base" ] || usage "--base is required (the release uses docker://gcr.io/distroless/cc-debian12:nonroot)"
[ ${#binaries[@]} -gt 0 ] || usage "at least one --binary PLATFORM=PATH is required"

for program in skopeo umoci jq; do
  command -v "$program" >/dev/null 2>&1 || die "$program is not installed (Debian: apt-get install $program)"
done
tar --version 2>/dev/null | grep -q 'GNU tar' || die "a reproducible layer needs GNU tar"

cargo_field() {
  sed -n "/^\[package\]/,/^\[/s/^$1 *= *\"\([^\"]*\)\".*/\1/p" "$root/Cargo.toml" | head -n 1
}
version=$(cargo_field version)
[ -n "$version" ] || die "cannot read the package version from $root/Cargo.toml"
description=$(cargo_field description)
licenses=$(cargo_field license)

. "$root/release/epoch.sh"
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

if [ -z "$revision" ]; then
  revision=$(git -C "$root" rev-parse HEAD 2>/dev/null) || die "not a git checkout: pass --revision SHA"
fi
if [ -z "$source_url" ]; then
  if [ -n "${GITHUB_REPOSITORY:-}" ]; then
    source_url=${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY
  else
    source_url=$(git -C "$root" remote get-url origin 2>/dev/null) ||
      die "cannot tell where the source is (no origin remote): pass --source URL"
  fi
fi

# The base's name as a registry reference, and the digest of what REF points at now
# (an index when the base is multi-platform: the digest a user pins in FROM name@digest).
if [ -z "$base_name" ]; then
  base_name=${base#docker://}
  case $base_name in
    oci:* | oci-archive:* | docker-archive:* | dir:*) usage "--base-name NAME is required when --base is not docker://…" ;;
  esac
fi
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
skopeo --insecure-policy inspect --raw "$base" >"$work/base-manifest.json" 2>"$work/skopeo.err" ||
  die "cannot read the base image $base: $(head -c 400 "$work/skopeo.err")"
base_digest=sha256:$(sha256sum "$work/base-manifest.json" | cut -d ' ' -f 1)

labels=(
  "org.opencontainers.image.title=customs"
  "org.opencontainers.image.description=$description"
  "org.opencontainers.image.version=$version"
  "org.opencontainers.image.revision=$revision"
  "org.opencontainers.image.created=$created"
  "org.opencontainers.image.source=$source_url"
  "org.opencontainers.image.licenses=$licenses"
)
annotations=("${labels[@]}" "org.opencontainers.image.base.name=$base_name"
  "org.opencontainers.image.base.digest=$base_digest")

# The layer: the same for every platform except the binary.
layer_tar() { # $1 binary, $2 output tar
  local staging=$work/rootfs
  rm -rf -- "$staging"
  mkdir -p -- "$staging/var/lib/customs"
  install -m 0755 -- "$1" "$staging/customs"
  chmod 0755 "$staging/var" "$staging/var/lib" "$staging/var/lib/customs"
  local common=(--format=pax --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime
    --mtime="@$epoch" --numeric-owner --no-recursion -C "$staging")
  tar "${common[@]}" --owner=0 --group=0 -cf "$2" -- customs var var/lib
  tar "${common[@]}" --owner=65532 --group=65532 -rf "$2" -- var/lib/customs
}

layout=$work/layout
manifests=()
seen=' '
for entry in "${binaries[@]}"; do
  platform=${entry%%=*}
  binary=${entry#*=}
  [ "$platform" != "$entry" ] && [ -n "$binary" ] || usage "--binary wants PLATFORM=PATH, not $entry"
  case $platform in
    linux/amd64) arch=amd64 variant='' elf_machine='3e00' ;;
    linux/arm64) arch=arm64 variant=v8 elf_machine='b700' ;;
    *) usage "unknown platform $platform (linux/amd64 or linux/arm64)" ;;
  esac
  [[ $seen != *" $platform "* ]] || usage "$platform is given twice"
  seen="$seen$platform "
  [ -f "$binary" ] || die "$binary: no such binary"
  # ELF magic, then e_machine (bytes 18-19, little-endian): the binary must run on the platform.
  [ "$(od -An -tx1 -N4 -- "$binary" | tr -d ' \n')" = 7f454c46 ] || die "$binary is not an ELF binary"
  found=$(od -An -tx1 -j18 -N2 -- "$binary" | tr -d ' \n')
  [ "$found" = "$elf_machine" ] || die "$binary is not a $platform binary (ELF machine 0x${found:2:2}${found:0:2})"

  copy_args=(--override-os linux --override-arch "$arch")
  [ -z "$variant" ] || copy_args+=(--override-variant "$variant")
  skopeo --insecure-policy copy --quiet "${copy_args[@]}" "$base" "oci:$layout:base-$arch" 2>"$work/skopeo.err" ||
    die "cannot copy the $platform image of $base: $(head -c 400 "$work/skopeo.err")"
  # skopeo copies a single-platform base whatever its platform: check it.
  base_config=$(skopeo --insecure-policy inspect --config "oci:$layout:base-$arch") ||
    die "cannot read the configuration of $base"
  base_platform=$(jq -r '"\(.os)/\(.architecture)"' <<<"$base_config")
  [ "$base_platform" = "$platform" ] || die "$base has no $platform image (it is $base_platform)"

  layer_tar "$binary" "$work/layer-$arch.tar"
  umoci raw add-layer --image "$layout:base-$arch" --tag "customs-$arch" \
    --history.created "$created" --history.created_by "release/image.sh: /customs, /var/lib/customs" \
    "$work/layer-$arch.tar" || die "umoci could not add the layer for $platform"
  config_args=(--image "$layout:customs-$arch" --no-history --created "$created"
    --clear config.labels --clear config.cmd --clear config.entrypoint --clear config.volume
    --clear manifest.annotations
    --config.user 65532:65532 --config.entrypoint /customs --config.workingdir /
    --config.env CUSTOMS_CACHE_DIR=/var/lib/customs --config.volume /var/lib/customs)
  for label in "${labels[@]}"; do config_args+=(--config.label "$label"); done
  for annotation in "${annotations[@]}"; do config_args+=(--manifest.annotation "$annotation"); done
  umoci config "${config_args[@]}" || die "umoci could not configure the image for $platform"

  manifests+=("$(jq -c --arg tag "customs-$arch" --arg arch "$arch" --arg variant "$variant" '
    .manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $tag)
    | {mediaType, digest, size, platform: ({architecture: $arch, os: "linux"}
       + (if $variant == "" then {} else {variant: $variant} end))}' "$layout/index.json")")
done

# The index over the platforms, written as a blob; the layout then names only it.
annotation_json=$(printf '%s\n' "${annotations[@]}" | jq -R -n '[inputs | capture("^(?<key>[^=]+)=(?<value>.*)$")] | from_entries')
index=$(printf '%s\n' "${manifests[@]}" | jq -c -n --argjson annotations "$annotation_json" '{
  schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
  manifests: [inputs], annotations: $annotations}')
printf '%s' "$index" >"$work/index-blob.json"
index_hex=$(sha256sum "$work/index-blob.json" | cut -d ' ' -f 1)
index_size=$(wc -c <"$work/index-blob.json")
cp -- "$work/index-blob.json" "$layout/blobs/sha256/$index_hex"
jq -c -n --arg digest "sha256:$index_hex" --argjson size "$index_size" --arg tag "$version" '{
  schemaVersion: 2,
  manifests: [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $digest, size: $size,
    annotations: {"org.opencontainers.image.ref.name": $tag}}]}' >"$layout/index.json"
umoci gc --layout "$layout" || die "umoci gc failed"

name=customs-$version
mkdir -p -- "$out" || die "cannot create $out"
out=$(cd "$out" && pwd)
final=$work/final
mkdir -p -- "$final"
mv -- "$layout" "$final/$name.oci"
chmod -R u=rwX,go=rX -- "$final/$name.oci"
find "$final/$name.oci" -exec touch -h -d "@$epoch" {} +
(cd "$final/$name.oci" && find oci-layout index.json blobs -print0 | LC_ALL=C sort -z |
  tar --format=ustar --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --no-recursion --null -T - -cf "$final/$name.oci.tar") ||
  die "cannot write $name.oci.tar"
printf 'sha256:%s\n' "$index_hex" >"$final/$name.oci.digest"

rm -rf -- "${out:?}/$name.oci"
mv -f -- "$final/$name.oci" "$final/$name.oci.tar" "$final/$name.oci.digest" "$out/"
echo "release/image.sh: wrote $name.oci, $name.oci.tar and $name.oci.digest in $out (index sha256:$index_hex, ${#manifests[@]} platform(s))"

if [ -n "$push" ]; then
  skopeo --insecure-policy copy --quiet --all --preserve-digests --dest-tls-verify="$push_tls" \
    "oci:$out/$name.oci:$version" "docker://$push" || die "cannot push to $push"
  echo "release/image.sh: pushed $push@sha256:$index_hex"
fi
