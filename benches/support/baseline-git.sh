#!/usr/bin/env bash
# The shell sequence `rerecord commit` replaces (the old composite action's commit step), run in a
# work tree whose `origin` is the remote: stage the recordings folders, commit, fetch the branch,
# rebase onto it and push.
#
#   baseline-git.sh [--branch B] [--autostash] [--retries N]
#
# --autostash is not in the original: without it, the rebase refuses to run while any tracked
# file outside the recordings is modified (the TypeScript client's package.json), so the job
# commits locally and never pushes. --retries N repeats fetch + rebase + push up to N times.
set -eo pipefail

branch=feature-x autostash='' retries=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --branch) branch=$2; shift 2 ;;
    --autostash) autostash=--autostash; shift ;;
    --retries) retries=$2; shift 2 ;;
    *) echo "baseline-git.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

# The shell expands the folder glob, as the old step's unquoted pathspecs did.
shopt -s nullglob
specs=()
for dir in tests/integration/recordings/ tests/integration/*/recordings/; do
  [[ -d $dir ]] && specs+=("$dir")
done
if [[ -z "$(git status --porcelain -- "${specs[@]}")" ]]; then
  echo "no recording changes"
  exit 0
fi
git add -- "${specs[@]}"
git -c user.name=ci -c user.email=ci@example.com commit -q -m "Recordings update from CI"
for ((try = 1; try <= retries; try++)); do
  git fetch -q origin "$branch"
  git -c user.name=ci -c user.email=ci@example.com rebase -q $autostash "origin/$branch"
  if git push -q origin "HEAD:$branch"; then exit 0; fi
done
exit 1
