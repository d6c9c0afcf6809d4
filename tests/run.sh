#!/usr/bin/env bash
# The README's test command: installs the programs the tests drive when they are
# missing (Debian/Ubuntu, with apt-get), then runs every test target, even after one
# fails. Arguments go to `cargo test` (`tests/run.sh --test db_update`).
#
# The tests start what they need themselves on 127.0.0.1: a registry (CNCF
# distribution), skopeo and umoci to build and push images, htpasswd and openssl for
# auth and TLS, rpm and rpmbuild to make rpm databases (db5.3_load writes the Berkeley
# DB ones rpm 4.18 no longer can), go and objcopy to build real Go and cargo-auditable
# binaries, python3 for a plain HTTP mirror, jq for the release image script, pip
# to install the deployment manifests' validators from PyPI (tests/deploy_manifests.rs
# puts them under the target directory), and postgresql for the shared sweep store.
set -euo pipefail
cd "$(dirname "$0")/.."

# "package:program…": a package counts as installed when all its programs are on PATH.
tools=(
  docker-registry:docker-registry skopeo:skopeo umoci:umoci apache2-utils:htpasswd openssl:openssl
  rpm:rpm,rpmbuild db5.3-util:db5.3_load golang-go:go binutils:objcopy python3:python3 jq:jq
  python3-pip:pip3
)
missing=()
# Debian keeps PostgreSQL's server programs off PATH, in /usr/lib/postgresql/<version>/bin.
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
for entry in "${tools[@]}"; do
  package=${entry%%:*}
  IFS=, read -r -a programs <<<"${entry#*:}"
  for program in "${programs[@]}"; do
    if ! command -v "$program" >/dev/null 2>&1; then
      missing+=("$package")
      break
    fi
  done
done

if [ ${#missing[@]} -gt 0 ]; then
  as_root=""
  if [ "$(id -u)" -ne 0 ]; then
    # Asks for a password only when someone is there to type it.
    if [ -t 0 ]; then as_root="sudo"; else as_root="sudo -n"; fi
    command -v sudo >/dev/null 2>&1 || as_root="none"
  fi
  cannot() {
    echo "tests/run.sh: the tests need ${missing[*]}; install them with: sudo apt-get install ${missing[*]} (other systems: see README.md)" >&2
    exit 1
  }
  if [ "$as_root" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    cannot
  fi
  echo "tests/run.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086 # $as_root is empty or a command with its options
  $as_root apt-get update -qq >/dev/null && \
    $as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || cannot
fi

exec cargo test --locked --no-fail-fast "$@"
