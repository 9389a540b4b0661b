#!/usr/bin/env bash
# Install the `rerecord` binary for the actions in this repository (action.yml, land/action.yml).
#
# The binary is pinned by the action's own commit: checksums.txt (next to this script's folder, in
# the same commit) holds the SHA256 of every release asset, keyed by version and asset name. A
# download is run only when it matches that committed checksum; nothing the release itself serves
# (no SHA256SUMS from the same, mutable, release) decides what is trusted.
#
# Order of preference:
#   1. the release asset rerecord-<version>-<target>.tar.gz (.zip on Windows), verified against
#      checksums.txt (a mismatch fails the step and nothing is run). The verified asset and its
#      binary are kept in the runner's tool cache ($RUNNER_TOOL_CACHE/rerecord/<version>/<arch>/),
#      so later jobs download nothing: the cached asset is checked against checksums.txt again, and
#      the cached binary against the one unpacked from it, because a tool cache can be written by
#      earlier jobs or steps.
#   2. only when no asset can be used (unsupported OS/arch, no asset for this runner in the release,
#      or checksums.txt lists none for the action's own version, e.g. at the release tag's commit,
#      made before its assets were built): `cargo install --locked --path <this repository>`, with a
#      notice saying why. A version other than the action's own needs its checksum committed.
#
# Concurrent jobs may share one tool cache (self-hosted runners): every file is written to a temp
# file in the cache folder and renamed over the old one (an atomic replace that never opens a
# binary another job is running), and a binary that already matches is left alone.
#
# Inputs (environment only; the actions pass every input through `env:`, never `${{ }}` here):
#   RERECORD_VERSION         version to install, e.g. 0.3.1 or v0.3.1 (default: the version in this
#                            repository's Cargo.toml, i.e. the action's own version)
#   RERECORD_DOWNLOAD_BASE   base URL of the release downloads; the asset URL is
#                            $RERECORD_DOWNLOAD_BASE/v<version>/<asset> (default: GitHub releases of
#                            rerecord/rerecord). A mirror, or the tests' local server; whatever it
#                            serves must still match checksums.txt.
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT (runner)
#
# Outputs (GITHUB_OUTPUT): version, source (cache|release|cargo), path (directory added to PATH).
set -euo pipefail

error() {
  # The `::error::` form shows up as an annotation on the run page.
  echo "::error title=rerecord install::$*"
  exit 1
}

notice() {
  echo "::notice title=rerecord install::$*"
}

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$(cd "$script_dir/.." && pwd)"

: "${RUNNER_OS:?RUNNER_OS is not set: this script runs inside a GitHub Actions job}"
: "${RUNNER_ARCH:?RUNNER_ARCH is not set: this script runs inside a GitHub Actions job}"
tool_cache="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}/tool-cache}"
temp_root="${RUNNER_TEMP:-/tmp}"
github_path="${GITHUB_PATH:-/dev/null}"
github_output="${GITHUB_OUTPUT:-/dev/null}"
download_base="${RERECORD_DOWNLOAD_BASE:-https://github.com/rerecord/rerecord/releases/download}"
download_base="${download_base%/}"

# --- which version -------------------------------------------------------------------------------
# The action's own version: the package version of the checkout the runner made of this action.
own_version="$(sed -n 's/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$source_dir/Cargo.toml" 2>/dev/null | head -n 1)"
version="${RERECORD_VERSION:-}"
version="${version#v}"
if [[ -z "$version" ]]; then
  version="$own_version"
  [[ -n "$version" ]] || error "cannot read the version from $source_dir/Cargo.toml; set the action's version input (e.g. version: 0.1.0)"
fi
# The version becomes part of a URL and a path: accept semver only.
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  error "version \"$version\" is not a release version like 0.1.0: fix the action's version input"
fi

# --- which asset ---------------------------------------------------------------------------------
target=""
ext="tar.gz"
exe="rerecord"
case "$RUNNER_OS/$RUNNER_ARCH" in
  Linux/X64) target="x86_64-unknown-linux-musl" ;;
  Linux/ARM64) target="aarch64-unknown-linux-musl" ;;
  macOS/X64) target="x86_64-apple-darwin" ;;
  macOS/ARM64) target="aarch64-apple-darwin" ;;
  Windows/X64) target="x86_64-pc-windows-msvc"; ext="zip"; exe="rerecord.exe" ;;
esac
arch="$(printf '%s' "$RUNNER_ARCH" | tr '[:upper:]' '[:lower:]')"
cache_dir="$tool_cache/rerecord/$version/$arch"

finish() {
  local source="$1" dir="$2"
  echo "$dir" >>"$github_path"
  {
    echo "version=$version"
    echo "source=$source"
    echo "path=$dir"
  } >>"$github_output"
  "$dir/$exe" --version
}

# --- 1. release asset, verified against the committed checksums.txt ---------------------------
checksums_file="$source_dir/checksums.txt"

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  else
    shasum -a 256 "$1" | awk '{ print $1 }'
  fi
}

# Put `src` at `dest` atomically: a temp file in dest's folder, then a rename over dest. A job
# running the old dest keeps running it; nobody ever sees a half-written file.
place() {
  local src="$1" dest="$2" mode="$3" tmp
  tmp="$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")"
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
}

fallback_reason=""
if [[ -z "$target" ]]; then
  fallback_reason="no release build of rerecord exists for $RUNNER_OS/$RUNNER_ARCH"
else
  asset="rerecord-$version-$target.$ext"
  expected=""
  if [[ -f "$checksums_file" ]]; then
    expected="$(awk -v key="v$version/$asset" '$1 !~ /^#/ && $2 == key { print tolower($1); exit }' "$checksums_file")"
  fi
  if [[ -z "$expected" ]]; then
    if [[ "$version" != "$own_version" ]]; then
      error "this action's checksums.txt lists no sha256 for v$version/$asset, so that binary cannot be verified: pin the action to a commit whose checksums.txt lists v$version, or leave the version input empty"
    fi
    fallback_reason="this action's checksums.txt lists no sha256 for v$version/$asset (pin a commit whose checksums.txt lists it to install the release binary instead)"
  fi
fi

if [[ -z "$fallback_reason" ]]; then
  work="$(mktemp -d "$temp_root/rerecord-install.XXXXXX")"
  trap 'rm -rf "$work"' EXIT

  # Sets http_status to the answer's HTTP status; a failure of curl itself (no connection, TLS) is
  # an error.
  fetch() {
    local url="$1" out="$2" status
    if ! status="$(curl --silent --show-error --location --retry 3 --retry-delay 2 \
      --output "$out" --write-out '%{http_code}' "$url")"; then
      error "could not download $url (see the curl error above); re-run the job"
    fi
    http_status="$status"
  }

  asset_url="$download_base/v$version/$asset"
  cached_asset="$cache_dir/$asset"
  if [[ -f "$cached_asset" ]] && cp "$cached_asset" "$work/$asset" 2>/dev/null &&
    [[ "$(sha256_of "$work/$asset")" == "$expected" ]]; then
    source=cache
    echo "rerecord $version found in the tool cache ($cache_dir), checked against checksums.txt"
  else
    source=release
    fetch "$asset_url" "$work/$asset"
    if [[ "$http_status" == 404 ]]; then
      fallback_reason="release v$version has no asset $asset ($asset_url answered 404)"
    elif [[ "$http_status" != 200 ]]; then
      error "downloading $asset_url answered HTTP $http_status; re-run the job"
    fi
  fi
fi

if [[ -z "$fallback_reason" ]]; then
  actual="$(sha256_of "$work/$asset")"
  if [[ "$actual" != "$expected" ]]; then
    error "checksum mismatch for $asset: this action's checksums.txt says $expected, the download is $actual. Nothing was installed or run; re-run the job, and report it if it happens again"
  fi
  echo "verified $asset (sha256 $actual)"

  unpacked="$work/unpacked"
  mkdir -p "$unpacked"
  if [[ "$ext" == zip ]]; then
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$work/$asset" -d "$unpacked"
    else
      7z x -y -o"$unpacked" "$work/$asset" >/dev/null
    fi
  else
    tar -xzf "$work/$asset" -C "$unpacked"
  fi
  [[ -f "$unpacked/$exe" ]] || error "$asset has no $exe at its root: the release is malformed; set the version input to another release"

  mkdir -p "$cache_dir"
  # The cached binary is kept only when it is byte for byte the one in the verified asset; else
  # it is replaced (never rewritten in place: another job may be running it).
  if ! cmp -s "$unpacked/$exe" "$cache_dir/$exe" || [[ ! -x "$cache_dir/$exe" ]]; then
    place "$unpacked/$exe" "$cache_dir/$exe" 755
  fi
  if [[ "$source" == release ]]; then
    place "$work/$asset" "$cached_asset" 644
  fi
  finish "$source" "$cache_dir"
  exit 0
fi

# --- 2. build from source ------------------------------------------------------------------------
notice "$fallback_reason; building rerecord $version from source with cargo install (this takes a few minutes; a release asset makes it seconds)"
command -v cargo >/dev/null 2>&1 ||
  error "$fallback_reason, and cargo is not installed to build it: install Rust on the runner (e.g. rustup) before this action"
root="$temp_root/rerecord-cargo"
cargo install --locked --path "$source_dir" --root "$root"
finish cargo "$root/bin"
