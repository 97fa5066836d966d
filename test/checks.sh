# What the shell suites (test/upgrade, test/backup, test/readme) share: one
# "ok: ..." or "FAIL: ..." line per check, counted by scripts/test-suites.sh.
# A suite defines ask(): how its statements reach its database.
failures=0

report() {  # ok|FAIL, what
  echo "$1: $2"
  [ "$1" = ok ] || failures=$((failures + 1))
}

# check WHAT SQL: ok when every line the statements answer is t.
check() {
  local answer
  if answer=$(ask "$2" 2>&1) && [ -n "$answer" ] && [ -z "$(grep -vx t <<<"$answer")" ]; then
    report ok "$1"
  else
    report FAIL "$1 (got: $answer)"
  fi
}
