# shellcheck shell=bash
# Strict mode with a report: sourced first by every script of the project. `set -e` alone ends a
# script silently, so a CI log would not say what failed; the ERR trap names the failing command,
# its file and line, and the chain of function calls that led there, on stderr. `set -E` makes
# functions, command substitutions and subshells inherit the trap. A command whose failure is
# handled (`cmd || ...`, `if cmd`, `! cmd`) does not trigger it, exactly as it does not end the
# script under `set -e`. Failures inside a subshell or command substitution are reported by the
# shell that started it, when that one fails too: many such failures are harmless (a `for` list
# from a file that vanished), and the one that ends the script is reported once, at its line.

kt_err_report() {
  local rc=$1 cmd=$2 i
  ((BASH_SUBSHELL == KT_ERR_SUBSHELL)) || return 0
  # Inside the handler, index 1 of BASH_SOURCE/FUNCNAME is the frame that failed and
  # BASH_LINENO[0] its line; the rest of the stack are its callers.
  echo "${0##*/}: error: exit status $rc from \`$cmd\` at ${BASH_SOURCE[1]:-$0}:${BASH_LINENO[0]}" >&2
  for ((i = 1; i < ${#FUNCNAME[@]} - 1; i++)); do
    echo "${0##*/}:   in ${FUNCNAME[$i]}(), called from ${BASH_SOURCE[$((i + 1))]:-$0}:${BASH_LINENO[$i]}" >&2
  done
}

KT_ERR_SUBSHELL=$BASH_SUBSHELL
set -eEuo pipefail
trap 'kt_err_report $? "$BASH_COMMAND"' ERR
