#!/usr/bin/env bash
# The fuzzing campaign behind tests/fuzz/results/latest.tsv: every target (or those named)
# for FUZZ_TIME seconds (default 600), two at a time at the lowest priority, its grown corpus
# kept in $BUILD/fuzz/grown/<name>/. The targets' rows in latest.tsv are replaced; the others
# stay. Then `tests/fuzz/campaign.sh merge [NAME...]` adds to tests/fuzz/corpus/<name>/ the
# grown inputs that reach code the seeds do not (libFuzzer's -merge=1), leaving out those over
# FUZZ_MERGE_MAX bytes (default 16384) to keep the repository small.
# Usage: tests/fuzz/campaign.sh [NAME...]   |   tests/fuzz/campaign.sh merge [NAME...]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
grown=$BUILD/fuzz/grown

merge=0
if [ "${1:-}" = merge ]; then
  merge=1
  shift
fi
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for src in tests/fuzz/*_fuzz.cpp; do
    name=$(basename "$src" .cpp)
    names+=("${name%_fuzz}")
  done
fi
bins=()
for name in "${names[@]}"; do
  bins+=("$BUILD/fuzz/${name}_fuzz")
done
make -j2 BUILD="$BUILD" "${bins[@]}" >/dev/null

if [ "$merge" -eq 1 ]; then
  for name in "${names[@]}"; do
    if [ ! -d "$grown/$name" ]; then
      echo "merge: no grown corpus for $name in $grown/ (run the campaign first)" >&2
      exit 1
    fi
    seeds=tests/fuzz/corpus/$name
    mkdir -p "$seeds"
    before=$(find "$seeds" -type f | wc -l)
    log=$(mktemp)
    small=$(mktemp -d)
    find "$grown/$name" -type f -size -"${FUZZ_MERGE_MAX:-16384}"c -exec cp {} "$small/" \;
    if ! "$BUILD/fuzz/${name}_fuzz" -merge=1 -timeout=10 -rss_limit_mb=2560 "$seeds" \
      "$small" >"$log" 2>&1; then
      echo "merge: $name failed:" >&2
      tail -n 20 "$log" >&2
      rm -rf "$log" "$small"
      exit 1
    fi
    rm -rf "$log" "$small"
    echo "$name: $before -> $(find "$seeds" -type f | wc -l) seeds ($(du -sh "$seeds" | cut -f 1))"
  done
  exit 0
fi

FUZZ_TIME=${FUZZ_TIME:-600} FUZZ_JOBS=${FUZZ_JOBS:-2} FUZZ_NICE=${FUZZ_NICE:-19} \
  FUZZ_KEEP=$grown FUZZ_RESULTS=tests/fuzz/results/latest.tsv BUILD="$BUILD" \
  tests/fuzz/run.sh "${bins[@]}"
