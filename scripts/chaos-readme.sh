#!/usr/bin/env bash
# Writes the README's Reliability table (between `<!-- chaos:table -->` and `<!-- /chaos -->`)
# from the committed rows of the last full `make chaos`, so that no row is typed by hand.
#   scripts/chaos-readme.sh [--check] [RESULTS [README]]   the table from RESULTS
#   scripts/chaos-readme.sh --record [ROWS]                ROWS (a full run's rows) become
#                                                          RESULTS, with date, commit, machine
#   scripts/chaos-readme.sh --run                          make chaos CHAOS_LEVEL=full, then
#                                                          --record: all of it, one command
# Defaults: tests/chaos/results/latest.tsv, README.md, build/chaos/rows-full.tsv. --check
# changes nothing and exits 1 when the table differs from what RESULTS gives.
set -u
prog=chaos-readme
root=$(cd "$(dirname "$0")/.." && pwd)
fatal() {
  echo "$prog: fatal: $*" >&2
  exit 111
}

# record ROWS: RESULTS from ROWS (one line per passing case: case, fault, happened, kept), its
# run named at the top. Atomic, as the README.
record() {
  local rows=$1 results=tests/chaos/results/latest.tsv commit machine
  [ -s "$rows" ] || fatal "unable to use '$rows': no rows (run make chaos CHAOS_LEVEL=full first)"
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [ -n "$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null)" ] && commit=$commit+changes
  machine="$(nproc) CPUs, kernel $(uname -r | cut -d- -f1), $(. /etc/os-release && echo "$PRETTY_NAME")"
  mkdir -p "$(dirname "$results")"
  {
    printf '#date\t%s\n#commit\t%s\n#machine\t%s\n' "$(date -u -r "$rows" '+%Y-%m-%d %H:%M UTC')" \
      "$commit" "$machine"
    printf 'case\tfault\thappened\tkept\n'
    cat "$rows"
  } >"$results.tmp" && mv "$results.tmp" "$results" || {
    rm -f "$results.tmp"
    fatal "unable to write '$results'"
  }
}

case ${1:-} in
--run)
  cd "$root" || exit 111
  make --no-print-directory chaos CHAOS_LEVEL=full || fatal "the full chaos run failed: nothing recorded"
  record build/chaos/rows-full.tsv
  exec "$0"
  ;;
--record)
  cd "$root" || exit 111
  record "${2:-build/chaos/rows-full.tsv}"
  exec "$0"
  ;;
esac

check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
case ${1:-} in -*)
  echo "usage: scripts/chaos-readme.sh [--check] [RESULTS [README]] | --record [ROWS] | --run" >&2
  exit 100
  ;;
esac
[ $# = 0 ] && { cd "$root" || exit 111; }
results=${1:-tests/chaos/results/latest.tsv}
readme=${2:-README.md}
for f in "$results" "$readme"; do
  [ -r "$f" ] || fatal "unable to read '$f': $([ -e "$f" ] && echo 'Permission denied' || echo 'No such file or directory')"
done

# One awk pass over RESULTS (validated whole first), then README: prints the new README, or with
# check=1 says whether the table differs; an error is one line on stderr, exit 111.
render() {
  awk -F'\t' -v check="$check" -v results="$results" -v readme="$readme" -v prog="$prog" '
    function fatal(msg) { print prog ": fatal: " msg > "/dev/stderr"; failed = 1; exit 111 }
    function bad(line, msg) { fatal("unable to use '\''" results "'\'': line " line ": " msg) }
    function cell(s) { gsub(/\|/, "\\|", s); return s }
    function table(   out, i, k) {
      out = "Rows from `tests/chaos/results/latest.tsv`: one full `make chaos`, " meta["date"] ",\n" \
            "commit `" meta["commit"] "`, on " meta["machine"] ". " ncases " case(s), each passed.\n\n" \
            "| program | fault | what happened | what was kept | as |\n|---|---|---|---|---|\n"
      for (i = 1; i <= nkeys; i++) {
        k = keys[i]
        out = out "| " prog_of[k] " | " cell(fault[k]) " | " cell(happened[k]) " | " cell(kept[k]) \
              " | " modes[k] " |\n"
      }
      return out
    }
    NR == FNR && /^#/ {
      if (split(substr($0, 2), kv, "\t") != 2 || !(kv[1] ~ /^(date|commit|machine)$/))
        bad(FNR, "not a #date, #commit or #machine line")
      meta[kv[1]] = kv[2]
      next
    }
    NR == FNR && !header {
      if ($0 != "case\tfault\thappened\tkept") bad(FNR, "expected the header line case, fault, happened, kept")
      for (m in need) delete need[m]
      if (!("date" in meta) || !("commit" in meta) || !("machine" in meta))
        bad(FNR, "the run is not named (#date, #commit and #machine come first)")
      header = 1
      next
    }
    NR == FNR {
      if (NF != 4) bad(FNR, NF " fields, expected 4")
      if (!match($1, / \[[a-z]+\]$/)) bad(FNR, "case \"" $1 "\" has no [mode]")
      name = substr($1, 1, RSTART - 1); mode = substr($1, RSTART + 2, RLENGTH - 3)
      if (name !~ /^[a-z0-9_]+\/[a-z0-9_]+\/[a-z0-9_]+$/) bad(FNR, "bad case name \"" name "\"")
      if (!(name in seen_case)) { seen_case[name] = 1; ncases++ }
      # A case that runs in several modes is one row, with its modes.
      k = name SUBSEP $2
      if (!(k in fault)) {
        keys[++nkeys] = k
        split(name, parts, "/"); prog_of[k] = parts[1]
        fault[k] = $2; happened[k] = $3; kept[k] = $4; modes[k] = mode
      } else if (index(", " modes[k] ",", ", " mode ",") == 0) {
        modes[k] = modes[k] ", " mode
      }
      next
    }
    FNR == 1 && !header { fatal("unable to use '\''" results "'\'': empty, not even the header line") }
    FNR == 1 && nkeys == 0 { fatal("unable to use '\''" results "'\'': no rows (no case passed)") }
    inside {
      if ($0 ~ /^<!-- chaos:/) fatal(readme ":" FNR ": a table opens inside the one opened on line " start_line)
      if ($0 == "<!-- /chaos -->") {
        inside = 0
        want = table()
        if (check && old != want) differs = 1
        if (!check) printf "%s", want
        if (!check) print
        next
      }
      old = old $0 "\n"
      next
    }
    $0 == "<!-- chaos:table -->" {
      if (tables++) fatal(readme ":" FNR ": a second <!-- chaos:table -->")
      inside = 1; start_line = FNR; old = ""
      if (!check) print
      next
    }
    /^<!-- (chaos:|\/chaos)/ { fatal(readme ":" FNR ": not a table marker (<!-- chaos:table --> ... <!-- /chaos -->)") }
    { if (!check) print }
    END {
      if (failed) exit 111
      if (!header) fatal("unable to use '\''" results "'\'': empty, not even the header line")
      if (inside) fatal(readme ":" start_line ": the table is not closed by <!-- /chaos -->")
      if (!tables) fatal(readme ": no <!-- chaos:table --> marker")
      if (differs) {
        print prog ": fatal: " readme ": the Reliability table does not match '\''" results "'\'' (run scripts/chaos-readme.sh)" > "/dev/stderr"
        exit 1
      }
    }
  ' "$results" "$readme"
}

if [ "$check" = 1 ]; then
  render
  exit
fi
tmp=$readme.tmp
render >"$tmp"
rc=$?
if [ "$rc" = 0 ] && chmod --reference="$readme" "$tmp" && mv "$tmp" "$readme"; then
  exit 0
fi
rm -f "$tmp"
[ "$rc" = 0 ] && echo "$prog: fatal: unable to replace '$readme'" >&2
exit 111
