#!/usr/bin/env bash
# Install the `rerecord` binary for the actions in this repository (action.yml, land/action.yml).
#
# Order of preference:
#   1. the release asset rerecord-<version>-<target>.tar.gz (.zip on Windows), verified against the
#      release's SHA256SUMS (a mismatch fails the step and nothing is run). The verified asset is
#      kept in the runner's tool cache ($RUNNER_TOOL_CACHE/rerecord/<version>/<arch>/), so later
#      jobs only download SHA256SUMS: the cached asset is checked again and the binary unpacked
#      afresh, because a tool cache can be written by earlier jobs or steps.
#   2. only when no asset exists for this runner (unsupported OS/arch, or the release has no such
#      asset): `cargo install --locked --path <this repository>`, with a notice saying why.
#
# Inputs (environment only; the actions pass every input through `env:`, never `${{ }}` here):
#   RERECORD_VERSION         version to install, e.g. 0.3.1 or v0.3.1 (default: the version in this
#                            repository's Cargo.toml, i.e. the action's own version)
#   RERECORD_DOWNLOAD_BASE   base URL of the release downloads; the asset URL is
#                            $RERECORD_DOWNLOAD_BASE/v<version>/<asset> (default: GitHub releases of
#                            rerecord/rerecord). Tests point this at a local HTTP server.
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
version="${RERECORD_VERSION:-}"
version="${version#v}"
if [[ -z "$version" ]]; then
  # The action's own version: the package version of the checkout the runner made of this action.
  version="$(sed -n 's/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$source_dir/Cargo.toml" | head -n 1)"
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

# --- 1. release asset, verified against the release's SHA256SUMS ---------------------------------
# The tool cache keeps the verified asset, but a cache is only as trustworthy as whoever wrote it
# last (self-hosted runners keep it between jobs, and earlier steps of this job may run PR code):
# every run checks the cached asset against SHA256SUMS again and unpacks the binary afresh.
fallback_reason=""
if [[ -z "$target" ]]; then
  fallback_reason="no release build of rerecord exists for $RUNNER_OS/$RUNNER_ARCH"
else
  asset="rerecord-$version-$target.$ext"
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
  sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
      sha256sum "$1" | awk '{ print $1 }'
    else
      shasum -a 256 "$1" | awk '{ print $1 }'
    fi
  }

  sums_url="$download_base/v$version/SHA256SUMS"
  asset_url="$download_base/v$version/$asset"
  fetch "$sums_url" "$work/SHA256SUMS"
  if [[ "$http_status" == 404 ]]; then
    fallback_reason="release v$version has no SHA256SUMS ($sums_url answered 404)"
  elif [[ "$http_status" != 200 ]]; then
    error "downloading $sums_url answered HTTP $http_status; re-run the job, or set the version input to a published release"
  else
    expected="$(awk -v name="$asset" '$2 == name || $2 == "*" name { print tolower($1); exit }' "$work/SHA256SUMS")"
    cached_asset="$cache_dir/$asset"
    if [[ -n "$expected" && -f "$cached_asset" && "$(sha256_of "$cached_asset")" == "$expected" ]]; then
      source=cache
      cp "$cached_asset" "$work/$asset"
      echo "rerecord $version found in the tool cache ($cache_dir), checked against SHA256SUMS"
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
    [[ -n "$expected" ]] || error "SHA256SUMS of release v$version lists no checksum for $asset: refusing to run an unverified binary"
    actual="$(sha256_of "$work/$asset")"
    if [[ "$actual" != "$expected" ]]; then
      error "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual. Nothing was installed or run; re-run the job, and report it if it happens again"
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

    rm -rf "$cache_dir" "$cache_dir.complete"
    mkdir -p "$cache_dir"
    cp "$unpacked/$exe" "$cache_dir/$exe"
    chmod +x "$cache_dir/$exe"
    cp "$work/$asset" "$cache_dir/$asset"
    # Written last: a half-finished install is never mistaken for a complete one.
    touch "$cache_dir.complete"
    finish "$source" "$cache_dir"
    exit 0
  fi
fi

# --- 2. build from source ------------------------------------------------------------------------
notice "$fallback_reason; building rerecord $version from source with cargo install (this takes a few minutes; a release asset makes it seconds)"
command -v cargo >/dev/null 2>&1 ||
  error "$fallback_reason, and cargo is not installed to build it: install Rust on the runner (e.g. rustup) before this action"
root="$temp_root/rerecord-cargo"
cargo install --locked --path "$source_dir" --root "$root"
finish cargo "$root/bin"
