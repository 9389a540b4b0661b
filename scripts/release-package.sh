#!/usr/bin/env bash
# Pack the release archives (release.yml's package job; tests/it/release.rs runs it too).
#
#   scripts/release-package.sh VERSION BINARIES DIST
#
# BINARIES holds one folder per target with its binary: BINARIES/<target>/rerecord (rerecord.exe
# on Windows). For each target it writes DIST/rerecord-VERSION-<target>.tar.gz (.zip on
# Windows) holding, at its root, the binary (where scripts/install-rerecord.sh and cargo-binstall
# look for it), README.md, LICENSE, completions/ (bash, zsh, fish, PowerShell) and man/man1/ (one
# page per subcommand). The completions and man pages are made by the first binary of the list
# that runs on this machine (RERECORD_GEN names one explicitly), so one Linux job packs every
# target. Then DIST/SHA256SUMS.
set -euo pipefail

version="${1:?usage: release-package.sh VERSION BINARIES DIST}"
binaries="${2:?usage: release-package.sh VERSION BINARIES DIST}"
dist="${3:?usage: release-package.sh VERSION BINARIES DIST}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  echo "error: version \"$version\" is not a release version like 0.1.0" >&2
  exit 1
fi
mkdir -p "$dist"
dist="$(cd "$dist" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --- completions and man pages, from a binary that runs here ------------------------------------
gen="${RERECORD_GEN:-}"
if [[ -z "$gen" ]]; then
  for candidate in "$binaries"/*/rerecord; do
    if "$candidate" --version >/dev/null 2>&1; then gen="$candidate"; break; fi
  done
fi
[[ -n "$gen" ]] || { echo "error: no binary in $binaries runs here to write the completions and man pages (set RERECORD_GEN)" >&2; exit 1; }
extras="$work/extras"
mkdir -p "$extras/completions" "$extras/man/man1"
"$gen" completions bash >"$extras/completions/rerecord.bash"
"$gen" completions zsh >"$extras/completions/_rerecord"
"$gen" completions fish >"$extras/completions/rerecord.fish"
"$gen" completions powershell >"$extras/completions/_rerecord.ps1"
"$gen" man --dir "$extras/man/man1"
cp "$root/README.md" "$root/LICENSE" "$extras/"

# --- one archive per target ----------------------------------------------------------------------
count=0
for dir in "$binaries"/*/; do
  target="$(basename "$dir")"
  stage="$work/stage-$target"
  mkdir -p "$stage"
  cp -R "$extras/." "$stage/"
  if [[ "$target" == *windows* ]]; then
    cp "$dir/rerecord.exe" "$stage/"
    (cd "$stage" && zip -qr "$dist/rerecord-$version-$target.zip" .)
  else
    cp "$dir/rerecord" "$stage/"
    chmod 755 "$stage/rerecord"
    tar -C "$stage" -czf "$dist/rerecord-$version-$target.tar.gz" .
  fi
  count=$((count + 1))
done
[[ "$count" -gt 0 ]] || { echo "error: $binaries has no target folders" >&2; exit 1; }

(cd "$dist" && sha256sum rerecord-"$version"-* >SHA256SUMS)
cat "$dist/SHA256SUMS"
