#!/usr/bin/env bash
# scripts/lib/errtrap.sh: a script that fails says which command failed, where, and through which
# function calls; failures the script handles stay silent. Runs small scripts in a temporary
# directory (removed at exit); needs no privileges.
# shellcheck source=scripts/lib/errtrap.sh
source "$(dirname "$0")/../../scripts/lib/errtrap.sh"
lib=$(cd "$(dirname "$0")/../../scripts/lib" && pwd)/errtrap.sh
dir=$(mktemp -d /tmp/kt-errtrap-XXXXXX)
trap 'rm -rf "$dir"' EXIT

fail=0
expect_line() {  # expect_line NAME FILE REGEX
  if grep -qE "$3" "$2"; then echo "ok   $1"; else
    echo "FAIL $1: no line matching '$3' in:"
    sed 's/^/    /' "$2"
    fail=1
  fi
}

cat >"$dir/fails.sh" <<SCRIPT
#!/usr/bin/env bash
source "$lib"
inner() { grep -q needle /dev/null; }
outer() { inner; }
x=\$(false) || true
for w in \$(cat /nonexistent 2>/dev/null); do :; done
if ! false; then :; fi
outer
echo not reached
SCRIPT
rc=0
bash "$dir/fails.sh" >"$dir/out" 2>"$dir/err" || rc=$?
if [[ $rc -eq 1 ]]; then echo "ok   exit status of the failed command"; else
  echo "FAIL exit status $rc"; fail=1
fi
expect_line "names the command, file and line" "$dir/err" \
  "fails\.sh: error: exit status 1 from \`grep -q needle /dev/null\` at $dir/fails\.sh:3$"
expect_line "names the calling function" "$dir/err" "in inner\(\), called from $dir/fails\.sh:4$"
expect_line "and its caller" "$dir/err" "in outer\(\), called from $dir/fails\.sh:8$"
if [[ $(wc -l <"$dir/err") -eq 3 ]]; then echo "ok   handled failures are silent"; else
  echo "FAIL handled failures are silent: stderr was:"; sed 's/^/    /' "$dir/err"; fail=1
fi
if [[ -s $dir/out ]]; then echo "FAIL the script went on after the failure"; fail=1; else echo "ok   stops at the failure"; fi

# A failing pipeline element (pipefail) and a failing command substitution are reported too.
printf '#!/usr/bin/env bash\nsource "%s"\necho hi | grep -q zz\n' "$lib" >"$dir/pipe.sh"
bash "$dir/pipe.sh" 2>"$dir/err" || true
expect_line "a failing pipeline" "$dir/err" "exit status 1 from \`grep -q zz\` at $dir/pipe\.sh:3$"
# shellcheck disable=SC2016 # the $(...) belongs to the generated script
printf '#!/usr/bin/env bash\nsource "%s"\nv=$(grep -v x /dev/null)\n' "$lib" >"$dir/subst.sh"
bash "$dir/subst.sh" 2>"$dir/err" || true
expect_line "a failing command substitution" "$dir/err" "at $dir/subst\.sh:3$"
# A function that returns a failure is reported at the line that called it.
printf '#!/usr/bin/env bash\nsource "%s"\nf() { return 3; }\nf\n' "$lib" >"$dir/ret.sh"
rc=0
bash "$dir/ret.sh" 2>"$dir/err" || rc=$?
expect_line "a function returning a failure" "$dir/err" "exit status 3 from \`return 3\` at $dir/ret\.sh:4$"

exit "$fail"
