#!/usr/bin/env bash
# Static checks of the shell scripts, run first by scripts/test.sh (seconds, before the long build):
#   - shellcheck over every tracked shell script, all severities: a finding fails. A deliberate
#     exception is a `# shellcheck disable=SCxxxx # reason` on the line before the code;
#   - every script that runs on its own sources scripts/lib/errtrap.sh, so that no failure of it is
#     silent (errtrap names the failing command and line).
# usage: scripts/lint.sh
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/lib/errtrap.sh"  # set -eEuo pipefail; failures name command and line
cd "$(dirname "$0")/.."

command -v shellcheck >/dev/null || {
  echo "lint.sh: shellcheck is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
}

# Tracked shell scripts: *.sh anywhere, and files whose first line runs bash or sh (.ci/run).
scripts=()
while IFS= read -r f; do
  case $f in
    *.sh) scripts+=("$f") ;;
    *) if head -n 1 "$f" | grep -qE '^#!.*\b(ba)?sh\b'; then scripts+=("$f"); fi ;;
  esac
done < <(git ls-files -- '*.sh' '.ci/*' | sort -u)

failed=0
if ! shellcheck --external-sources --severity=style "${scripts[@]}" >&2; then
  echo "lint.sh: shellcheck reported the findings above" >&2
  failed=1
fi
for f in "${scripts[@]}"; do
  # Libraries (scripts/lib/*) are sourced by scripts that already set the trap.
  [[ $f == scripts/lib/* ]] && continue
  if ! grep -q 'source .*lib/errtrap\.sh' "$f"; then
    echo "lint.sh: $f does not source scripts/lib/errtrap.sh (a failure there would be silent)" >&2
    failed=1
  fi
done
if ((failed)); then exit 1; fi
echo "lint.sh: ${#scripts[@]} scripts: shellcheck clean, every one reports its failures" >&2
