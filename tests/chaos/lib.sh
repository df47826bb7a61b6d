# Helpers for the fault-injection cases (tests/chaos/<program>/*.sh), sourced after
# tests/integration/lib.sh by `tests/run.sh chaos` (`make chaos`).
#
# CHAOS_LEVEL: "short" (CI: the whole suite in at most 3 minutes) or "full" (at most 15):
# a case scales its load with chaos_scale, never its assertions.
# Each case records what it showed with chaos_row, one row per fault, for the README's
# Reliability table (scripts/chaos-readme.sh builds it from the last full run).

CHAOS_LEVEL=${CHAOS_LEVEL:-short}

chaos_scale() { # SHORT FULL: prints the number for this level
  if [ "$CHAOS_LEVEL" = full ]; then echo "$2"; else echo "$1"; fi
}

# chaos_row FAULT HAPPENED KEPT: e.g.
#   chaos_row "env dump's filesystem full" "boot stops with one line" "old dumps, whole"
# Appended to $CHAOS_ROWS (set by `make chaos`) as one tab-separated line with the case's
# name; a row is written only by a case that then passes (run.sh drops a failed case's rows).
chaos_row() {
  [ -n "${CHAOS_ROWS:-}" ] || return 0
  local fault=$1 happened=$2 kept=$3
  printf '%s\t%s\t%s\t%s\n' "${CHAOS_CASE:-?}" "$fault" "$happened" "$kept" >>"$CHAOS_ROWS.case"
}

# in_pidns_tiny_etc KIB CMD...: as in_pidns (root mode), but the overlay's upper /etc (a copy
# of $ETC) and its work dir live on a tmpfs of KIB KiB in the namespace's own mount table, so
# that writing to /etc runs out of space. The tmpfs goes with the namespace.
in_pidns_tiny_etc() {
  local kib=$1
  shift
  mkdir -p "$T/tiny"
  env T="$T" KIB="$kib" unshare --pid --fork --mount --mount-proc sh -c '
    mount -t tmpfs -o "size=${KIB}k,mode=755" tmpfs "$T/tiny" || exit 99
    mkdir "$T/tiny/etc" "$T/tiny/work" && cp -a "$T/etc/." "$T/tiny/etc/" || exit 99
    mount -t overlay overlay -o "lowerdir=/etc,upperdir=$T/tiny/etc,workdir=$T/tiny/work" /etc ||
      exit 99
    exec "$@"' sh "$@"
}
