# The Reliability table: scripts/chaos-readme.sh renders it from the committed rows of the last
# full `make chaos`, and `make test` checks that README.md still matches them. No chaos case
# runs here: the rows are fixtures.
# shellcheck shell=bash

# results FILE: a results file with three rows, one case in two modes.
results() {
  printf '#date\t2026-01-02 03:04 UTC\n#commit\tabc123\n#machine\t2 CPUs, kernel 6.1, Debian 12\n'
  printf 'case\tfault\thappened\tkept\n'
  printf 'cinit/storms/flood [root]\t100 signals\tforwarded | ignored\texit 3\n'
  printf 'cinit/storms/flood [user]\t100 signals\tforwarded | ignored\texit 3\n'
  printf 'supervisor/restart/kill9 [root]\tSIGKILL\ttaken back\tsame pids\n'
}

fixture() {
  results >"$T/latest.tsv"
  printf '# title\nbefore\n<!-- chaos:table -->\n| old | row |\n<!-- /chaos -->\nafter\n' >"$T/README.md"
}

test_committed_readme_matches_committed_results() {
  out=$(scripts/chaos-readme.sh --check 2>&1) ||
    fail "README.md and tests/chaos/results/latest.tsv differ: $out"
}

test_table_is_made_from_the_results_file() {
  fixture
  scripts/chaos-readme.sh "$T/latest.tsv" "$T/README.md" || fail "the generator failed"
  readme=$(cat "$T/README.md")
  assert_contains "$readme" "one full \`make chaos\`, 2026-01-02 03:04 UTC,
commit \`abc123\`, on 2 CPUs, kernel 6.1, Debian 12. 2 case(s), each passed."
  # One row per case and fault, its modes together; a | in a cell stays in its cell.
  assert_contains "$readme" "| cinit | 100 signals | forwarded \\| ignored | exit 3 | root, user |"
  assert_contains "$readme" "| supervisor | SIGKILL | taken back | same pids | root |"
  assert_eq 1 "$(grep -c '| cinit |' "$T/README.md")" "rows of the flood case"
  assert_not_contains "$readme" "| old | row |"
  assert_eq "# title" "$(head -n1 "$T/README.md")" "text before the table"
  assert_eq "after" "$(tail -n1 "$T/README.md")" "text after the table"
  scripts/chaos-readme.sh --check "$T/latest.tsv" "$T/README.md" || fail "--check fails on what the generator wrote"
  sed -i 's/same pids/other pids/' "$T/README.md"
  cp "$T/README.md" "$T/edited"
  out=$(scripts/chaos-readme.sh --check "$T/latest.tsv" "$T/README.md" 2>&1)
  assert_eq 1 "$?" "exit status of --check after a hand edit"
  assert_eq "chaos-readme: fatal: $T/README.md: the Reliability table does not match '$T/latest.tsv' (run scripts/chaos-readme.sh)" "$out"
  cmp -s "$T/README.md" "$T/edited" || fail "--check changed the README"
}

# refused MESSAGE: the generator fails with exit 111 and MESSAGE alone; the README is as it was.
refused() {
  cp "$T/README.md" "$T/before"
  out=$(scripts/chaos-readme.sh "$T/latest.tsv" "$T/README.md" 2>&1)
  assert_eq 111 "$?" "exit status"
  assert_eq "chaos-readme: fatal: $1" "$out"
  cmp -s "$T/README.md" "$T/before" || fail "the README changed"
  [ ! -e "$T/README.md.tmp" ] || fail "README.md.tmp left behind"
}

test_bad_input_is_one_line_and_changes_nothing() {
  fixture
  printf 'cinit/x/y [root]\tonly two\n' >>"$T/latest.tsv"
  refused "unable to use '$T/latest.tsv': line 8: 2 fields, expected 4"

  fixture
  printf 'cinit/x/y\ta\tb\tc\n' >>"$T/latest.tsv"
  refused "unable to use '$T/latest.tsv': line 8: case \"cinit/x/y\" has no [mode]"

  fixture
  results | grep -v '^#commit' >"$T/latest.tsv"
  refused "unable to use '$T/latest.tsv': line 3: the run is not named (#date, #commit and #machine come first)"

  fixture
  results | head -n 4 >"$T/latest.tsv"
  refused "unable to use '$T/latest.tsv': no rows (no case passed)"

  fixture
  printf 'before\n<!-- chaos:table -->\nnever closed\n' >"$T/README.md"
  refused "$T/README.md:2: the table is not closed by <!-- /chaos -->"
}

test_record_names_the_run_and_rewrites_the_table() {
  # A copy of the checkout's parts that --record needs, with a full run's rows in build/.
  d=$T/checkout
  mkdir -p "$d/scripts" "$d/build/chaos"
  cp scripts/chaos-readme.sh "$d/scripts/"
  printf 'x\n<!-- chaos:table -->\n<!-- /chaos -->\n' >"$d/README.md"
  results | tail -n 3 >"$d/build/chaos/rows-full.tsv"
  out=$("$d/scripts/chaos-readme.sh" --record 2>&1) || fail "--record failed: $out"
  latest=$d/tests/chaos/results/latest.tsv
  assert_eq "#date #commit #machine case" "$(head -n 4 "$latest" | cut -f1 | tr '\n' ' ' | sed 's/ $//')" "head of latest.tsv"
  assert_eq "$(cat "$d/build/chaos/rows-full.tsv")" "$(tail -n +5 "$latest")" "rows of latest.tsv"
  assert_contains "$(cat "$d/README.md")" "| supervisor | SIGKILL | taken back | same pids | root |"
  (cd "$d" && scripts/chaos-readme.sh --check) || fail "README does not match after --record"
  rm "$d/build/chaos/rows-full.tsv"
  cp "$latest" "$T/latest.before"
  out=$("$d/scripts/chaos-readme.sh" --record 2>&1)
  assert_eq 111 "$?" "exit status of --record without rows"
  assert_eq "chaos-readme: fatal: unable to use 'build/chaos/rows-full.tsv': no rows (run make chaos CHAOS_LEVEL=full first)" "$out"
  cmp -s "$latest" "$T/latest.before" || fail "a failed --record changed latest.tsv"
}
