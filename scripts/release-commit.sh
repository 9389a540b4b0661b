#!/usr/bin/env bash
# Make the release commit and its tag (release.yml's package job; tests/it/release.rs runs it too).
#
#   scripts/release-commit.sh VERSION DIST
#
# In the git checkout of the release candidate (the commit the assets in DIST were built from),
# append one `SHA256  vVERSION/ASSET` line per asset in DIST to checksums.txt, commit that as a
# child of the candidate, and tag *that* commit vVERSION (annotated). So the tag's own commit
# lists its assets' checksums: an action pinned to the tag's SHA installs the verified release
# binary (scripts/install-rerecord.sh trusts only the checksums.txt committed with it), and a
# laptop install from the tag verifies the same way. Pushing is the caller's (release.yml).
#
# Refuses a version that differs from Cargo.toml's, a tag that exists, and a checksums.txt that
# already lists this version (lines are only ever added, never changed).
set -euo pipefail

version="${1:?usage: release-commit.sh VERSION DIST}"
dist="${2:?usage: release-commit.sh VERSION DIST}"

own="$(sed -n 's/^version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"
if [[ "$own" != "$version" ]]; then
  echo "error: Cargo.toml says version $own, not $version: bump it (and CHANGELOG.md) first" >&2
  exit 1
fi
if git rev-parse -q --verify "refs/tags/v$version" >/dev/null; then
  echo "error: tag v$version exists already; a release is never made twice" >&2
  exit 1
fi
if grep -q "[[:space:]]v$version/" checksums.txt 2>/dev/null; then
  echo "error: checksums.txt already lists v$version; lines are never changed" >&2
  exit 1
fi

shopt -s nullglob
assets=("$dist"/rerecord-"$version"-*)
if [[ "${#assets[@]}" -eq 0 ]]; then
  echo "error: $dist has no rerecord-$version-* assets" >&2
  exit 1
fi
for asset in "${assets[@]}"; do
  printf '%s  v%s/%s\n' "$(sha256sum "$asset" | awk '{ print $1 }')" "$version" "$(basename "$asset")" >>checksums.txt
done
git add checksums.txt
git commit --quiet -m "Release v$version: checksums.txt lists its assets" \
  -m "The tag v$version points at this commit, so the action pinned to it verifies the release binaries."
git tag -a "v$version" -m "rerecord $version"
echo "tagged v$version at $(git rev-parse HEAD)"
