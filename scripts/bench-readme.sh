#!/usr/bin/env bash
# Writes the README's benchmark tables from the committed results of the last full `make bench`,
# so that no figure in the README is typed by hand. A table is the text between
# `<!-- bench:NAME -->` and `<!-- /bench -->`: NAME `run` says which run the figures come from,
# any other NAME lists the rows whose metric starts with NAME_. Runs no benchmark.
#   scripts/bench-readme.sh [--check] [RESULTS [README]]
# Defaults: bench/results/latest.tsv and README.md. --check changes nothing and exits 1 when a
# table differs from what RESULTS gives. Rows of a quick run (BENCH_QUICK=1) are refused.
set -u
prog=bench-readme
root=$(cd "$(dirname "$0")/.." && pwd)
check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
case ${1:-} in -*)
  echo "usage: scripts/bench-readme.sh [--check] [RESULTS [README]]" >&2
  exit 100
  ;;
esac
# Without arguments, paths are named from the checkout's root, as errors will show them.
[ $# = 0 ] && { cd "$root" || exit 111; }
results=${1:-bench/results/latest.tsv}
readme=${2:-README.md}
for f in "$results" "$readme"; do
  [ -r "$f" ] || {
    echo "$prog: fatal: unable to read '$f': $( [ -e "$f" ] && echo 'Permission denied' || echo 'No such file or directory')" >&2
    exit 111
  }
done
[ -s "$results" ] || {
  echo "$prog: fatal: unable to use '$results': empty, not even the header line" >&2
  exit 111
}

# One awk pass over RESULTS (validated whole first), then README. It prints the new README, or
# with check=1 the names of the tables that differ; an error is one line on stderr, exit 111.
render() {
  awk -F'\t' -v check="$check" -v results="$results" -v readme="$readme" -v prog="$prog" '
    function fatal(msg) { print prog ": fatal: " msg > "/dev/stderr"; failed = 1; exit 111 }
    function cell(s) { gsub(/\|/, "\\|", s); return s }
    function value(v, unit) { return v == "n/a" || unit == "count" ? v : v " " unit }
    function bar_text(b, unit) {
      if (b == "le_peer") return "≤ peer"
      if (b == "ge_peer") return "≥ peer"
      if (b ~ /^le:/) return "≤ " value(substr(b, 4), unit)
      return "—"
    }
    function verdict_text(v) { return v == "MISS" ? "**MISS**" : v == "PASS" ? "pass" : v == "info" ? "—" : v }
    # table(NAME): the generated text between the markers, ending in a newline.
    function table(name,   out, i, n, any, peer) {
      if (name == "run") {
        if (nrows == 0)
          return "No full `make bench` is recorded in `bench/results/latest.tsv` yet: the tables below\n" \
                 "fill in when one is (`make bench` writes the file and these tables).\n"
        return "Figures from `bench/results/latest.tsv`: one full `make bench`, " run_date ",\n" \
               "commit `" run_commit "`, on " run_machine ".\n" \
               (checked + 0) " bar(s) checked, " (missed + 0) " missed.\n"
      }
      if (nrows == 0)
        return "_No results yet._\n"
      out = "| measure | ours, as run | value | best peer | value | ours/peer | bar | verdict |\n" \
            "|---|---|---|---|---|---|---|---|\n"
      for (i = 1; i <= nrows; i++) {
        n = row[i, "metric"]
        if (index(n, name "_") != 1)
          continue
        any = 1
        peer = row[i, "peer_label"] == "none" ? "—" : cell(row[i, "peer_label"])
        out = out "| " (row[i, "description"] != "" ? cell(row[i, "description"]) : "`" n "`") \
              " | `" cell(row[i, "ours_label"]) "` | " value(row[i, "ours"], row[i, "unit"]) \
              " | " peer " | " (peer == "—" ? "—" : value(row[i, "peer"], row[i, "unit"])) \
              " | " row[i, "ratio"] " | " bar_text(row[i, "bar"], row[i, "unit"]) \
              " | " verdict_text(row[i, "verdict"]) " |\n"
      }
      if (!any)
        fatal(readme ":" start_line ": no rows named " name "_* in '\''" results "'\''")
      return out
    }
    FNR == 1 && NR == 1 {
      need = "metric description unit ours_label ours peer_label peer ratio bar verdict mode date commit machine"
      ncols = NF
      for (i = 1; i <= NF; i++) col[$i] = i
      n = split(need, names, " ")
      for (i = 1; i <= n; i++)
        if (!(names[i] in col)) fatal("unable to use '\''" results "'\'': line 1: no column " names[i])
      next
    }
    NR == FNR {
      if (NF != ncols) fatal("unable to use '\''" results "'\'': line " FNR ": " NF " fields, expected " ncols)
      if ($col["metric"] !~ /^[a-z0-9_]+$/) fatal("unable to use '\''" results "'\'': line " FNR ": bad metric name")
      if ($col["mode"] != "full")
        fatal("unable to use '\''" results "'\'': line " FNR ": not a full run (mode " $col["mode"] "): the README quotes full runs only")
      if (nrows == 0) { run_date = $col["date"]; run_commit = $col["commit"]; run_machine = $col["machine"] }
      else if ($col["date"] != run_date || $col["commit"] != run_commit || $col["machine"] != run_machine)
        fatal("unable to use '\''" results "'\'': line " FNR ": rows from more than one run")
      nrows++
      for (i = 1; i <= n; i++) row[nrows, names[i]] = $col[names[i]]
      if ($col["bar"] != "none") checked++
      if ($col["verdict"] == "MISS") missed++
      next
    }
    # README
    inside {
      if ($0 ~ /^<!-- bench:/) fatal(readme ":" FNR ": a table opens inside the one opened on line " start_line)
      if ($0 == "<!-- /bench -->") {
        inside = 0
        want = table(name)
        if (check && old != want) bad = bad (bad == "" ? "" : ", ") name
        if (!check) printf "%s", want
        if (!check) print
        next
      }
      old = old $0 "\n"
      next
    }
    /^<!-- bench:[a-z]+ -->$/ {
      name = substr($0, 12, length($0) - 15)
      inside = 1; start_line = FNR; old = ""; tables++
      if (!check) print
      next
    }
    /^<!-- (bench:|\/bench)/ { fatal(readme ":" FNR ": not a table marker (<!-- bench:NAME --> ... <!-- /bench -->)") }
    { if (!check) print }
    END {
      if (failed) exit 111
      if (inside) fatal(readme ":" start_line ": table " name " is not closed by <!-- /bench -->")
      if (!tables) fatal(readme ": no <!-- bench:NAME --> tables")
      if (bad != "") {
        print prog ": fatal: " readme ": table(s) " bad " do not match '\''" results "'\'' (run scripts/bench-readme.sh)" > "/dev/stderr"
        exit 1
      }
    }
  ' "$results" "$readme"
}

if [ "$check" = 1 ]; then
  render
  exit
fi
# Atomic: the new README replaces the old one only once it is whole.
tmp=$readme.tmp
render >"$tmp"
rc=$?
if [ "$rc" = 0 ] && chmod --reference="$readme" "$tmp" && mv "$tmp" "$readme"; then
  exit 0
fi
rm -f "$tmp"
[ "$rc" = 0 ] && echo "$prog: fatal: unable to replace '$readme'" >&2
exit 111
