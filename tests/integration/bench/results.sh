# The benchmarks' results file and the README tables made from it: bench/run.sh writes a row
# per metric and fails on a missed bar; scripts/bench-readme.sh renders and checks the tables.
# No benchmark runs here: the parts are small fakes that call lib.sh's `metric`.
# shellcheck shell=bash

COLUMNS_LINE=$'metric\tdescription\tunit\tours_label\tours\tpeer_label\tpeer\tratio\tbar\tverdict\tmode\tdate\tcommit\tmachine'

# results_row NAME OURS PEER VERDICT [MODE]: one row of a results file, as lib.sh writes it.
results_row() {
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "what $1 measures" us \
    "cinit --skip-runit" "$2" tini "$3" 0.50 le_peer "$4" "${5:-full}" "2026-01-02 03:04 UTC" \
    abc123 "2 CPUs, kernel 6.1"
}

# A README with the four tables, text around them, and the tables' old contents.
make_readme() {
  cat >"$1" <<'EOF'
# title
before
<!-- bench:run -->
old run text
<!-- /bench -->
between
<!-- bench:init -->
| old | table |
<!-- /bench -->
<!-- bench:supervisor -->
<!-- /bench -->
<!-- bench:launcher -->
<!-- /bench -->
after
EOF
}

# outside FILE: FILE without the lines between the table markers.
outside() { awk '/^<!-- \/bench -->$/ { t = 0 } !t { print } /^<!-- bench:/ { t = 1 }' "$1"; }

fixture() {
  {
    echo "$COLUMNS_LINE"
    results_row init_fast 71 133 PASS
    results_row init_reap 177 108 MISS
    results_row supervisor_pickup 4 3500 PASS
    results_row launcher_run 12000 13000 PASS
  } >"$T/latest.tsv"
  make_readme "$T/README.md"
}

test_committed_readme_matches_committed_results() {
  out=$(scripts/bench-readme.sh --check 2>&1) || fail "README.md and bench/results/latest.tsv differ: $out"
}

test_tables_are_made_from_the_results_file() {
  fixture
  outside "$T/README.md" >"$T/outside.before"
  scripts/bench-readme.sh "$T/latest.tsv" "$T/README.md" || fail "the generator failed"
  readme=$(cat "$T/README.md")
  assert_contains "$readme" "| what init_fast measures | \`cinit --skip-runit\` | 71 us | tini | 133 us | 0.50 | ≤ peer | pass |"
  assert_contains "$readme" "| what init_reap measures | \`cinit --skip-runit\` | 177 us | tini | 108 us | 0.50 | ≤ peer | **MISS** |"
  assert_contains "$readme" "| what supervisor_pickup measures |"
  assert_contains "$readme" "2026-01-02 03:04 UTC"
  assert_contains "$readme" "4 bar(s) checked, 1 missed."
  assert_not_contains "$readme" "old run text"
  assert_not_contains "$readme" "| old | table |"
  # The init table holds the init rows only.
  init_table=$(sed -n '/^<!-- bench:init -->$/,/^<!-- \/bench -->$/p' "$T/README.md")
  assert_not_contains "$init_table" supervisor_pickup "init table"
  outside "$T/README.md" | cmp -s - "$T/outside.before" || fail "text outside the tables changed"
  scripts/bench-readme.sh --check "$T/latest.tsv" "$T/README.md" || fail "--check fails on what the generator wrote"
}

test_check_names_the_table_a_hand_edit_changed() {
  fixture
  scripts/bench-readme.sh "$T/latest.tsv" "$T/README.md" || fail "the generator failed"
  sed -i 's/| 71 us |/| 65 us |/' "$T/README.md"
  cp "$T/README.md" "$T/edited"
  out=$(scripts/bench-readme.sh --check "$T/latest.tsv" "$T/README.md" 2>&1)
  assert_eq 1 "$?" "exit status of --check"
  assert_eq "bench-readme: fatal: $T/README.md: table(s) init do not match '$T/latest.tsv' (run scripts/bench-readme.sh)" "$out"
  cmp -s "$T/README.md" "$T/edited" || fail "--check changed the README"
}

# refused MESSAGE: the generator fails on $T/latest.tsv and $T/README.md with exit 111 and
# MESSAGE alone, and leaves the README as it was.
refused() {
  cp "$T/README.md" "$T/before"
  out=$(scripts/bench-readme.sh "$T/latest.tsv" "$T/README.md" 2>&1)
  assert_eq 111 "$?" "exit status"
  assert_eq "bench-readme: fatal: $1" "$out"
  cmp -s "$T/README.md" "$T/before" || fail "the README changed"
  [ ! -e "$T/README.md.tmp" ] || fail "README.md.tmp left behind"
}

test_quick_results_are_never_quoted() {
  fixture
  results_row init_quick 1 2 PASS quick >>"$T/latest.tsv"
  refused "unable to use '$T/latest.tsv': line 6: not a full run (mode quick): the README quotes full runs only"
}

test_bad_input_is_one_line_and_changes_nothing() {
  fixture
  printf 'init_short\tonly three\tfields\n' >>"$T/latest.tsv"
  refused "unable to use '$T/latest.tsv': line 6: 3 fields, expected 14"

  fixture
  printf 'before\n<!-- bench:init -->\nnever closed\n' >"$T/README.md"
  refused "$T/README.md:2: table init is not closed by <!-- /bench -->"

  fixture
  sed -i 's/<!-- bench:launcher -->/<!-- bench:lunch -->/' "$T/README.md"
  refused "$T/README.md:12: no rows named lunch_* in '$T/latest.tsv'"
}

# A copy of bench/run.sh and bench/lib.sh whose parts are fakes: PART.sh calls `metric` with
# the values given, so run.sh's handling of the rows is tested without running a benchmark.
fake_checkout() {
  local d=$T/checkout p
  mkdir -p "$d/bench/results" "$d/scripts"
  cp "$REPO/bench/run.sh" "$REPO/bench/lib.sh" "$d/bench/"
  cp "$REPO/scripts/bench-readme.sh" "$d/scripts/"
  echo "$COLUMNS_LINE" >"$d/bench/results/latest.tsv"
  make_readme "$d/README.md"
  for p in init supervisor launcher slurm; do
    cat >"$d/bench/$p.sh" <<EOF
#!/usr/bin/env bash
source "\$(dirname "\$0")/lib.sh"
metric ${p}_speed us "$p --flag" \${FAKE_OURS:-5} peer 10 le_peer "how fast $p is"
metric ${p}_size bytes $p 7 peer 9 none
metric ${p}_absent ms $p "" peer 1 le_peer
EOF
    chmod +x "$d/bench/$p.sh"
  done
}

test_bench_fails_on_a_missed_bar_and_records_every_row() {
  fake_checkout
  out=$(cd "$T/checkout" && BENCH_ONLY="init launcher" FAKE_OURS=20 bench/run.sh 2>&1)
  assert_eq 1 "$?" "exit status of bench/run.sh with a missed bar"
  assert_contains "$out" "bench: 2 bar(s) missed: init_speed launcher_speed"
  tsv=$T/checkout/build/bench/results.tsv
  assert_eq "$COLUMNS_LINE" "$(head -n1 "$tsv")" "header"
  assert_eq 7 "$(wc -l <"$tsv")" "lines of $tsv"
  row=$(grep '^init_speed' "$tsv")
  IFS=$'\t' read -r -a f <<<"$row"
  assert_eq "init_speed|how fast init is|us|init --flag|20|peer|10|2.00|le_peer|MISS|full" \
    "$(IFS='|'; echo "${f[*]:0:11}")" "init_speed row"
  assert_eq "info" "$(grep '^launcher_size' "$tsv" | cut -f10)" "verdict of a row without a bar"
  # A bar with nothing measured is unchecked: said, but not a miss.
  assert_eq "n/a" "$(grep '^launcher_absent' "$tsv" | cut -f10)" "verdict of a row measured by nobody"
  assert_contains "$out" "bench: 2 bar(s) not checked (nothing measured): init_absent launcher_absent"
  # A partial run is never recorded for the README.
  assert_eq "$COLUMNS_LINE" "$(cat "$T/checkout/bench/results/latest.tsv")" "latest.tsv after a partial run"

  out=$(cd "$T/checkout" && BENCH_ONLY=init bench/run.sh 2>&1)
  assert_eq 0 "$?" "exit status of bench/run.sh with every bar met: $out"
  assert_contains "$out" "bench: 0 bar(s) missed"
}

test_a_full_bench_run_records_results_and_regenerates_the_readme() {
  fake_checkout
  out=$(cd "$T/checkout" && bench/run.sh 2>&1)
  assert_eq 0 "$?" "exit status of a full run: $out"
  latest=$T/checkout/bench/results/latest.tsv
  cmp -s "$latest" "$T/checkout/build/bench/results.tsv" || fail "latest.tsv is not the run's results"
  assert_eq 13 "$(wc -l <"$latest")" "lines of latest.tsv"
  readme=$(cat "$T/checkout/README.md")
  assert_contains "$readme" "| how fast supervisor is | \`supervisor --flag\` | 5 us | peer | 10 us | 0.50 | ≤ peer | pass |"
  assert_contains "$readme" "| \`launcher_size\` | \`launcher\` | 7 bytes |"
  (cd "$T/checkout" && scripts/bench-readme.sh --check) || fail "README does not match after a full run"

  # A quick run leaves both alone.
  cp "$latest" "$T/latest.before"
  out=$(cd "$T/checkout" && BENCH_QUICK=1 bench/run.sh 2>&1)
  assert_eq 0 "$?" "exit status of a quick run: $out"
  cmp -s "$latest" "$T/latest.before" || fail "a quick run changed latest.tsv"
  assert_eq quick "$(sed -n 2p "$T/checkout/build/bench/results.tsv" | cut -f11)" "mode of a quick run's rows"
}
