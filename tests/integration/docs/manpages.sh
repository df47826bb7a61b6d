# Man pages (build/man, made by `make` from man/*.scd) against the programs' --help: every
# option either one names, the other names too, and so do the codes of their exit status
# paragraphs, so that the two cannot drift apart. Also: every program has a page, and
# --help/--version answer on stdout with 0.
# shellcheck shell=bash

case $BUILD in /*) MAN_DIR=$BUILD/man ;; *) MAN_DIR=$REPO/$BUILD/man ;; esac

# options: the options named in a --help text on stdin (-x, --long), one per line, sorted.
options_in_help() {
  grep -oE '(^|[][ ,|(])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[^-]*//' | sort -u
}

# options_in_man PAGE: the options a page sets in bold (scdoc's *-x*), sorted.
options_in_man() {
  grep -oE '\\fB--?[A-Za-z][A-Za-z0-9-]*' "$1" | sed 's/^\\fB//' | sort -u
}

# codes_in_help: the numbers of the "Exit status:" paragraph of a --help text on stdin.
codes_in_help() {
  sed -n '/^Exit status:/,/^$/p' | grep -oE '[0-9]+' | sort -u
}

# codes_in_man PAGE: the numbers in the text of the EXIT STATUS section.
codes_in_man() {
  sed -n '/^\.SH EXIT STATUS/,/^\.SH/p' "$1" | grep -v '^\.' | grep -oE '[0-9]+' | sort -u
}

# page PROG: the built man page of PROG (section 1 or 8).
page() {
  local p
  for p in "$MAN_DIR/$1.1" "$MAN_DIR/$1.8"; do
    [ -f "$p" ] && { echo "$p"; return 0; }
  done
  fail "no man page for $1 in $MAN_DIR (make builds them from man/$1.*.scd)"
}

# same_sets WHAT A B: A and B (sorted lists) are equal, else names what each lacks.
same_sets() {
  local only_a only_b
  only_a=$(comm -23 <(echo "$2") <(echo "$3") | tr '\n' ' ')
  only_b=$(comm -13 <(echo "$2") <(echo "$3") | tr '\n' ' ')
  [ -z "$only_a$only_b" ] ||
    fail "$1: in --help only: [$only_a]; in the man page only: [$only_b]"
}

# help_of PROG: PROG's --help, and for the launcher each command's --help too.
help_of() {
  local out cmd
  out=$("$BIN/$1" --help) || fail "$1 --help exited $?"
  [ -n "$out" ] || fail "$1 --help printed nothing on stdout"
  echo "$out"
  [ "$1" = launcher ] || return 0
  # The commands are the indented words of the "Commands:" block of the launcher's help.
  for cmd in $(echo "$out" | sed -n '/^Commands:/,/^[^ ]/p' | awk '/^  [a-z]/ {print $1}'); do
    echo
    "$BIN/launcher" "$cmd" --help || fail "launcher $cmd --help exited $?"
  done
}

check_program() {
  local prog=$1 man help version want
  man=$(page "$prog")
  help=$(help_of "$prog") || exit 1
  same_sets "$prog options" "$(options_in_help <<<"$help")" "$(options_in_man "$man")"
  # Each help (the launcher's several) has its own exit status paragraph.
  same_sets "$prog exit codes" "$(codes_in_help <<<"$help" | sort -u)" "$(codes_in_man "$man")"
  [ -n "$(codes_in_man "$man")" ] || fail "$prog: no EXIT STATUS codes in $man"
  version=$("$BIN/$prog" --version) || fail "$prog --version exited $?"
  want=$(sed -n 's/.*version = "\(.*\)";/\1/p' "$REPO/common/version.hpp")
  assert_eq "$prog $want" "$version" "$prog --version"
}

test_cinit_help_matches_man_page() { check_program cinit; }
test_supervisor_help_matches_man_page() { check_program supervisor; }
test_sv_help_matches_man_page() { check_program sv; }
test_setuser_help_matches_man_page() { check_program setuser; }
test_envdir_help_matches_man_page() { check_program envdir; }
test_launcher_help_matches_man_page() { check_program launcher; }

test_every_program_has_a_page_and_every_page_a_program() {
  local p progs pages
  progs=$(for p in "$SRC_BIN"/*; do basename "$p"; done | grep -vx unit_tests | sort)
  pages=$(for p in "$MAN_DIR"/*.[18]; do basename "${p%.*}"; done | sort)
  same_sets "programs (build/bin) vs pages (build/man)" "$progs" "$pages"
}
