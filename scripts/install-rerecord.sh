#!/usr/bin/env bash
# Install the `rerecord` binary for the actions in this repository (action.yml, land/action.yml).
#
# The binary is pinned by the action's own commit: checksums.txt (next to this script's folder, in
# the same commit) holds the SHA256 of every release asset, keyed by version and asset name. A
# download is run only when it matches that committed checksum; nothing the release itself serves
# (no SHA256SUMS from the same, mutable, release) decides what is trusted.
#
# Two uses:
#   * the install step of the actions (action.yml, land/action.yml, command/action.yml), inside a
#     GitHub Actions job (RUNNER_OS set);
#   * a laptop or any other machine (RUNNER_OS unset): from a clone at a release tag,
#       git clone --depth 1 --branch v0.1.0 https://github.com/rerecord/rerecord && bash rerecord/scripts/install-rerecord.sh
#     or piped, naming the version (checksums.txt is then read from that tag):
#       curl -fsSL https://raw.githubusercontent.com/rerecord/rerecord/v0.1.0/scripts/install-rerecord.sh | RERECORD_VERSION=0.1.0 bash
#     The binary goes to $RERECORD_INSTALL_DIR (default ~/.local/bin). No cargo fallback there:
#     without a verified asset it stops and says to run `cargo install --locked rerecord`.
#
# Order of preference (in Actions):
#   1. the release asset rerecord-<version>-<target>.tar.gz (.zip on Windows), verified against
#      checksums.txt (a mismatch fails the step and nothing is run). The verified asset is kept in
#      the runner's tool cache ($RUNNER_TOOL_CACHE/rerecord/<version>/<arch>/), so later jobs
#      download nothing: the cached asset is checked against checksums.txt again on every use,
#      because a tool cache can be written by earlier or concurrent jobs.
#   2. only when no asset can be used (unsupported OS/arch, no asset for this runner in the release,
#      or checksums.txt lists none for the action's own version, e.g. an unreleased commit):
#      `cargo install --locked --path <this repository>`, with a notice saying why. A version
#      other than the action's own needs its checksum committed.
#
# The binary the job runs is never the one in the shared tool cache: the verified binary is
# unpacked into a fresh folder of the job's own RUNNER_TEMP, and the actions run it by the
# absolute path in the `bin` output. A concurrent job on a self-hosted runner that replaces the
# tool cache's files between this step and the next changes nothing this job runs. The shared
# cache is written with a temp file and a rename (never rewritten in place), so concurrent
# installs never see a half-written asset.
#
# Inputs (environment only; the actions pass every input through `env:`, never `${{ }}` here):
#   RERECORD_VERSION         version to install, e.g. 0.3.1 or v0.3.1 (default: the version in this
#                            repository's Cargo.toml, i.e. the action's own version)
#   RERECORD_DOWNLOAD_BASE   base URL of the release downloads; the asset URL is
#                            $RERECORD_DOWNLOAD_BASE/v<version>/<asset> (default: GitHub releases of
#                            rerecord/rerecord). A mirror, or the tests' local server; whatever it
#                            serves must still match checksums.txt.
#   RERECORD_CHECKSUMS_BASE  (piped use only) where checksums.txt of a tag is read:
#                            $RERECORD_CHECKSUMS_BASE/v<version>/checksums.txt (default: the raw
#                            files of rerecord/rerecord on GitHub)
#   RERECORD_INSTALL_DIR     (outside Actions) where to put the binary (default ~/.local/bin)
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TOOL_CACHE, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT (runner)
#
# Outputs (GITHUB_OUTPUT): version, source (cache|release|cargo), path (the job-owned directory
# added to PATH), bin (absolute path of the binary: what the actions run).
set -euo pipefail

in_actions=false
if [[ -n "${RUNNER_OS:-}" ]]; then in_actions=true; fi

error() {
  if $in_actions; then
    # The `::error::` form shows up as an annotation on the run page.
    echo "::error title=rerecord install::$*"
  else
    echo "error: $*" >&2
  fi
  exit 1
}

notice() {
  if $in_actions; then
    echo "::notice title=rerecord install::$*"
  else
    echo "note: $*" >&2
  fi
}

# Where this script lives, when it is a file (not when piped into bash).
source_dir=""
if [[ -n "${BASH_SOURCE[0]:-}" && -f "${BASH_SOURCE[0]}" ]]; then
  source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fi

if $in_actions; then
  : "${RUNNER_ARCH:?RUNNER_ARCH is not set: a GitHub Actions runner sets it with RUNNER_OS}"
  runner_os="$RUNNER_OS"
  runner_arch="$RUNNER_ARCH"
else
  case "$(uname -s)" in
    Linux) runner_os=Linux ;;
    Darwin) runner_os=macOS ;;
    MINGW* | MSYS* | CYGWIN*) runner_os=Windows ;;
    *) runner_os="$(uname -s)" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) runner_arch=X64 ;;
    aarch64 | arm64) runner_arch=ARM64 ;;
    *) runner_arch="$(uname -m)" ;;
  esac
fi
temp_root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
temp_root="${temp_root%/}"
github_path="${GITHUB_PATH:-/dev/null}"
github_output="${GITHUB_OUTPUT:-/dev/null}"
download_base="${RERECORD_DOWNLOAD_BASE:-https://github.com/rerecord/rerecord/releases/download}"
download_base="${download_base%/}"
checksums_base="${RERECORD_CHECKSUMS_BASE:-https://raw.githubusercontent.com/rerecord/rerecord}"
checksums_base="${checksums_base%/}"

# --- which version -------------------------------------------------------------------------------
# The action's own version: the package version of the checkout the runner made of this action.
own_version=""
if [[ -n "$source_dir" ]]; then
  own_version="$(sed -n 's/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' "$source_dir/Cargo.toml" 2>/dev/null | head -n 1)"
fi
version="${RERECORD_VERSION:-}"
version="${version#v}"
if [[ -z "$version" ]]; then
  version="$own_version"
  if [[ -z "$version" && -z "$source_dir" ]]; then
    error "name the version to install: curl ... | RERECORD_VERSION=0.1.0 bash"
  fi
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
case "$runner_os/$runner_arch" in
  Linux/X64) target="x86_64-unknown-linux-musl" ;;
  Linux/ARM64) target="aarch64-unknown-linux-musl" ;;
  macOS/X64) target="x86_64-apple-darwin" ;;
  macOS/ARM64) target="aarch64-apple-darwin" ;;
  Windows/X64) target="x86_64-pc-windows-msvc"; ext="zip"; exe="rerecord.exe" ;;
esac
arch="$(printf '%s' "$runner_arch" | tr '[:upper:]' '[:lower:]')"
tool_cache="${RUNNER_TOOL_CACHE:-}"
cache_dir=""
if [[ -n "$tool_cache" ]]; then cache_dir="$tool_cache/rerecord/$version/$arch"; fi

# A fresh folder only this job writes to (RUNNER_TEMP is the job's own and emptied after it).
own_dir() {
  mkdir -p "$temp_root"
  mktemp -d "$temp_root/rerecord-bin.XXXXXX"
}

finish() {
  local source="$1" dir="$2"
  echo "$dir" >>"$github_path"
  {
    echo "version=$version"
    echo "source=$source"
    echo "path=$dir"
    echo "bin=$dir/$exe"
  } >>"$github_output"
  "$dir/$exe" --version
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  else
    shasum -a 256 "$1" | awk '{ print $1 }'
  fi
}

# Put `src` at `dest` atomically: a temp file in dest's folder, then a rename over dest. Nobody
# ever sees a half-written file.
place() {
  local src="$1" dest="$2" mode="$3" tmp
  tmp="$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")"
  cp "$src" "$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
}

mkdir -p "$temp_root"
work="$(mktemp -d "$temp_root/rerecord-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Sets http_status to the answer's HTTP status; a failure of curl itself (no connection, TLS) is
# an error.
fetch() {
  local url="$1" out="$2" status
  if ! status="$(curl --silent --show-error --location --retry 3 --retry-delay 2 \
    --output "$out" --write-out '%{http_code}' "$url")"; then
    error "could not download $url (see the curl error above); check the network and try again"
  fi
  http_status="$status"
}

# --- 1. release asset, verified against the committed checksums.txt ---------------------------
# From this script's own checkout; piped into bash, from the release tag (the same commit as the
# script's, when both are read at vX.Y.Z).
checksums_file="$work/checksums.txt"
if [[ -n "$source_dir" ]]; then
  if [[ -f "$source_dir/checksums.txt" ]]; then cp "$source_dir/checksums.txt" "$checksums_file"; fi
else
  fetch "$checksums_base/v$version/checksums.txt" "$checksums_file"
  [[ "$http_status" == 200 ]] ||
    error "could not read checksums.txt of v$version ($checksums_base/v$version/checksums.txt answered HTTP $http_status): is v$version a release?"
fi

fallback_reason=""
if [[ -z "$target" ]]; then
  fallback_reason="no release build of rerecord exists for $runner_os/$runner_arch"
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
  asset_url="$download_base/v$version/$asset"
  cached_asset=""
  if [[ -n "$cache_dir" ]]; then cached_asset="$cache_dir/$asset"; fi
  if [[ -n "$cached_asset" && -f "$cached_asset" ]] && cp "$cached_asset" "$work/$asset" 2>/dev/null &&
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
  # The copy verified here is the one unpacked and run: nothing is read again from the cache.
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

  if ! $in_actions; then
    install_dir="${RERECORD_INSTALL_DIR:-$HOME/.local/bin}"
    mkdir -p "$install_dir"
    place "$unpacked/$exe" "$install_dir/$exe" 755
    "$install_dir/$exe" --version
    echo "installed rerecord $version to $install_dir/$exe"
    case ":$PATH:" in
      *":$install_dir:"*) ;;
      *) echo "note: $install_dir is not on PATH; add it (e.g. in ~/.profile: export PATH=\"$install_dir:\$PATH\")" >&2 ;;
    esac
    exit 0
  fi

  bin_dir="$(own_dir)"
  cp "$unpacked/$exe" "$bin_dir/$exe"
  chmod 755 "$bin_dir/$exe"
  # Later jobs on this runner reuse the verified asset (checked again before every use).
  if [[ "$source" == release && -n "$cached_asset" ]]; then
    mkdir -p "$cache_dir"
    place "$work/$asset" "$cached_asset" 644
  fi
  finish "$source" "$bin_dir"
  exit 0
fi

# --- 2. build from source ------------------------------------------------------------------------
if ! $in_actions; then
  error "$fallback_reason. Build it from source instead: cargo install --locked rerecord --version $version"
fi
notice "$fallback_reason; building rerecord $version from source with cargo install (this takes a few minutes; a release asset makes it seconds)"
command -v cargo >/dev/null 2>&1 ||
  error "$fallback_reason, and cargo is not installed to build it: install Rust on the runner (e.g. rustup) before this action"
[[ -n "$source_dir" ]] || error "$fallback_reason, and this script was not run from the action's checkout to build it from"
root="$(own_dir)"
cargo install --locked --path "$source_dir" --root "$root"
finish cargo "$root/bin"
