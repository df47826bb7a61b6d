#!/usr/bin/env bash
# launcher vs bubblewrap, charliecloud (ch-run) and plain unshare, all run by the unprivileged
# user cinit-test in the same run on the same busybox image:
#   run:    launcher run bb -- true | bwrap --unshare-all --bind ROOTFS / --proc /proc --dev /dev
#           true | ch-run ROOTFS -- true | unshare -Urmpf --mount-proc true
#   import: launcher import of a ~200 MB multi-layer OCI image vs umoci unpack --rootless.
# Everything lives in a temp dir under /tmp that the user can reach (the checkout may not be).
source "$(dirname "$0")/lib.sh"
bench_setup

bench_user_setup
IMPORT_MB=$(q "${BENCH_IMPORT_MB:-200}" 20)
LAUNCHER=$T/bin/launcher
declare -A V
cell() { echo "${V[$1.$2]:-n/a}"; }

echo "== launcher: ours vs bwrap, ch-run, unshare (as $USER_NAME, same busybox image) =="
echo "   $(nproc) CPUs, kernel $(uname -r), quick=$QUICK"

# --- the busybox image: a plain rootfs dir (bwrap, ch-run) and an OCI layout of it (launcher) -------
log "making the busybox rootfs and its OCI image"
busybox_image
R=$T/rootfs

# --- run: the same `true` in each ---------------------------------------------------------------------
declare -A RUN=(
  [unshare]="unshare -Urmpf --mount-proc true"
  [bwrap]="bwrap --unshare-all --bind $R / --proc /proc --dev /dev /bin/true"
  [ch-run]="ch-run $R -- /bin/true"
  [launcher]="$LAUNCHER run bb -- true"
  [launcher-no-init]="$LAUNCHER run --no-init bb -- true"
  [launcher-no-subids]="$LAUNCHER run bb -- true"
)
# Set for timeit itself, not with env(1) in the timed command: that would time one more exec.
declare -A RUN_ENV=([launcher-no-subids]="LAUNCHER_NO_SUBIDS=1")
PEERS=(unshare bwrap ch-run)
RUNNERS=()
for n in "${PEERS[@]}"; do
  # shellcheck disable=SC2086
  if as_user ${RUN[$n]} >/dev/null 2>"$T/err"; then RUNNERS+=("$n"); else log "$n does not work here: $(head -c 300 "$T/err")"; fi
done
if have "$LAUNCHER"; then
  if as_user "$LAUNCHER" import "$T/oci-bb" --name bb >"$T/err" 2>&1; then
    for n in launcher launcher-no-init launcher-no-subids; do
      # shellcheck disable=SC2086
      if as_user env ${RUN_ENV[$n]:-} ${RUN[$n]} >/dev/null 2>"$T/err"; then RUNNERS+=("$n"); else log "$n failed: $(head -c 300 "$T/err")"; fi
    done
  else
    log "launcher import of the busybox image failed: $(head -c 300 "$T/err")"
  fi
else
  log "launcher: $LAUNCHER not built: n/a"
fi

# What sub-id maps cost by themselves: the two setuid helpers, as the launcher runs them, in
# the same rounds. bwrap, ch-run and unshare -U map the user alone and pay none of it.
read -r SUBUID SUBUID_N < <(awk -F: -v u="$USER_NAME" '$1 == u { print $2, $3; exit }' /etc/subuid)
read -r SUBGID SUBGID_N < <(awk -F: -v u="$USER_NAME" '$1 == u { print $2, $3; exit }' /etc/subgid)
IDMAP=0
if [ -n "${SUBUID_N:-}" ] && [ -n "${SUBGID_N:-}" ] && cp "$HB/idmapprobe" "$T/bin/"; then
  IDMAP=1
  touch "$T/run.idmap-helpers" && chmod 666 "$T/run.idmap-helpers"
else
  log "idmap helpers: $USER_NAME has no sub-id ranges: n/a"
fi
idmap_round() {
  [ "$IDMAP" = 1 ] || return 0
  as_user env TIMEIT_SAMPLES="$T/run.idmap-helpers" "$T/bin/idmapprobe" "$1" \
    "$(id -u "$USER_NAME")" "$SUBUID" "$SUBUID_N" "$(id -g "$USER_NAME")" "$SUBGID" "$SUBGID_N" \
    >"$T/idmap.last" || log "idmap helpers: probe failed"
  [ "$(cut -d' ' -f4 "$T/idmap.last" 2>/dev/null)" = 0 ] || log "idmap helpers: some maps failed: $(cat "$T/idmap.last")"
}

ROUNDS=$(q 5 2) PER=$(q 20 5)
log "run: $ROUNDS rounds x $PER runs"
for r in $(seq 1 "$ROUNDS"); do
  more_rounds "$r" 40 run || break
  for i in "${!RUNNERS[@]}"; do
    n=${RUNNERS[$(((i + r) % ${#RUNNERS[@]}))]}
    touch "$T/run.$n" && chmod 666 "$T/run.$n"
    # shellcheck disable=SC2086
    as_user env TIMEIT_SAMPLES="$T/run.$n" ${RUN_ENV[$n]:-} "$T/bin/timeit" "$PER" 2 ${RUN[$n]} >"$T/run.$n.last" ||
      log "run: $n timed out"
    [ "$(cut -d' ' -f4 "$T/run.$n.last" 2>/dev/null)" = 0 ] || log "run: $n: some runs failed: $(cat "$T/run.$n.last")"
  done
  idmap_round "$PER"
done
echo
echo "-- run: IMAGE true as $USER_NAME (us; up to $((ROUNDS * PER)) runs each, interleaved rounds)"
echo "   launcher-no-subids: LAUNCHER_NO_SUBIDS=1, the user alone mapped, as bwrap/ch-run/unshare do;"
echo "   idmap-helpers: newuidmap + newgidmap alone, the part of 'launcher' that sub-id maps cost"
row runner median_us min_us p90_us runs "median/bwrap"
for n in unshare bwrap ch-run launcher launcher-no-init launcher-no-subids idmap-helpers; do
  read -r "V[$n.run]" "V[$n.run_min]" "V[$n.run_p90]" "V[$n.run_n]" < <(stats "$T/run.$n")
  row "$n" "$(cell "$n" run)" "$(cell "$n" run_min)" "$(cell "$n" run_p90)" "$(cell "$n" run_n)" \
    "$(ratio "$(cell "$n" run)" "$(cell bwrap run)")"
done

# --- import: a ~IMPORT_MB MB image of 4 layers (random, compressible text, many small files) --------
# Made once with umoci and cached under $BUILD/bench/cache (same content every run).
CACHE=$HB/cache/oci-big-$IMPORT_MB
if [ ! -e "$CACHE/done" ]; then
  log "import: generating a $IMPORT_MB MB 4-layer OCI image (once; cached in $CACHE)"
  rm -rf "$CACHE" "$T/gen"
  mkdir -p "$CACHE"
  per=$((IMPORT_MB / 4))
  ok=1
  { umoci init --layout "$CACHE/oci" && umoci new --image "$CACHE/oci:latest" &&
    umoci unpack --image "$CACHE/oci:latest" "$T/gen"; } >>"$T/umoci.log" 2>&1 || ok=0
  for k in 1 2 3 4; do
    g=$T/gen/rootfs/data/l$k
    mkdir -p "$g/rand" "$g/text" "$g/small"
    # 40% incompressible, 40% compressible text, 20% in 4 KiB files; one layer each
    head -c $((per * 1024 * 1024 * 4 / 10)) /dev/urandom | split -b 1M - "$g/rand/r." &&
      seq "$k" $((per * 80000)) | head -c $((per * 1024 * 1024 * 4 / 10)) | split -b 256K - "$g/text/t." &&
      head -c $((per * 1024 * 1024 * 15 / 100)) /dev/urandom | base64 | head -c $((per * 1024 * 1024 * 2 / 10)) |
      split -a 4 -b 4K - "$g/small/s." &&
      umoci repack --refresh-bundle --image "$CACHE/oci:latest" "$T/gen" >>"$T/umoci.log" 2>&1 || ok=0
  done
  rm -rf "$T/gen"
  umoci config --image "$CACHE/oci:latest" --config.cmd /bin/sh >>"$T/umoci.log" 2>&1 && umoci gc --layout "$CACHE/oci" || ok=0
  # MB/s is measured against the layers' uncompressed tar bytes, the same for both tools.
  for b in "$CACHE"/oci/blobs/sha256/*; do gzip -dc "$b" 2>/dev/null | wc -c; done |
    awk '{ s += $1 } END { print s + 0 }' >"$CACHE/payload_bytes"
  if [ "$ok" = 1 ]; then touch "$CACHE/done"; else log "import: umoci failed: $(tail -n3 "$T/umoci.log")"; fi
fi
if [ -e "$CACHE/done" ]; then
  IMG=$T/oci-big
  cp -a "$CACHE/oci" "$IMG" && chown -R "$USER_NAME:" "$IMG"
  cat "$IMG"/blobs/sha256/* >/dev/null # both start from a warm page cache
  IMG_BYTES=$(du -sb "$IMG/blobs" | cut -f1)
  PAYLOAD=$(cat "$CACHE/payload_bytes")
  IROUNDS=$(q 2 1)
  IMPORTERS=(umoci)
  have "$LAUNCHER" && IMPORTERS+=(launcher)
  log "import: $IROUNDS rounds"
  for r in $(seq 1 "$IROUNDS"); do
    more_rounds "$r" 90 import || break
    for i in "${!IMPORTERS[@]}"; do
      n=${IMPORTERS[$(((i + r) % ${#IMPORTERS[@]}))]}
      d=$T/home/imp.$n.$r
      mkdir -p "$d" && chown "$USER_NAME:" "$d"
      if [ "$n" = umoci ]; then
        cmd=(umoci unpack --rootless --image "$IMG:latest" "$d/bundle")
      else
        cmd=(env XDG_DATA_HOME="$d/xdg" "$LAUNCHER" import "$IMG" --name big)
      fi
      out=$(as_user "$T/bin/timeit" 1 0 "${cmd[@]}")
      if [ "$(echo "$out" | cut -d' ' -f4)" = 0 ]; then
        echo "$out" | awk '{ printf "%.0f\n", $1 / 1000 }' >>"$T/imp.$n"
        [ -z "${V[$n.bytes]:-}" ] && V[$n.bytes]=$(du -sb "$d" | cut -f1)
      else
        log "import: $n failed: $out"
      fi
      rm -rf "$d"
    done
  done
  echo
  echo "-- import: 4-layer OCI image, $(awk -v b="$IMG_BYTES" 'BEGIN { printf "%.0f", b / 1048576 }') MB compressed, $(awk -v b="$PAYLOAD" 'BEGIN { printf "%.0f", b / 1048576 }') MB of layer tars (ms; MB/s of layer tar; median over rounds)"
  row importer median_ms unpacked_MB MB_per_s runs "time/umoci"
  for n in umoci launcher; do
    V[$n.imp]=$(median "$T/imp.$n")
    isnum "$(cell "$n" imp)" && V[$n.mbs]=$(awk -v b="$PAYLOAD" -v t="${V[$n.imp]}" 'BEGIN { printf "%.1f", b / 1048576 / (t / 1000) }')
    row "$n" "$(cell "$n" imp)" "$(awk -v b="${V[$n.bytes]:-0}" 'BEGIN { printf "%.0f", b / 1048576 }')" "$(cell "$n" mbs)" \
      "$(lines "$T/imp.$n")" "$(ratio "$(cell "$n" imp)" "$(cell umoci imp)")"
  done
  echo "   (unpacked_MB: what each tool left on disk: umoci's bundle, the launcher's store)"
else
  log "import: no image to import: skipped"
fi

echo
read -r bn bv < <(best "bwrap=$(cell bwrap run)" "ch-run=$(cell ch-run run)")
what="\`IMAGE true\` as an unprivileged user (median)"
metric launcher_run us "launcher run" "$(cell launcher run)" bwrap "$(cell bwrap run)" le_peer \
  "$what; the launcher with sub-id maps"
metric launcher_run_no_init us "launcher run --no-init" "$(cell launcher-no-init run)" "$bn" "$bv" none "$what"
metric launcher_run_no_subids us "LAUNCHER_NO_SUBIDS=1 launcher run" "$(cell launcher-no-subids run)" bwrap "$(cell bwrap run)" none \
  "$what; the user alone mapped, as bwrap does"
metric launcher_run_less_idmap_helpers us "launcher run, less newuidmap + newgidmap" \
  "$(sub "$(cell launcher run)" "$(cell idmap-helpers run)")" bwrap "$(cell bwrap run)" none \
  "$what; the launcher's time without the two setuid helpers"
metric launcher_idmap_helpers us "newuidmap + newgidmap" "$(cell idmap-helpers run)" none n/a none \
  "what sub-id maps cost: the two setuid helpers alone (median)"
metric launcher_import_speed MB/s "launcher import" "$(cell launcher mbs)" "umoci unpack --rootless" "$(cell umoci mbs)" ge_peer \
  "import of a ${IMPORT_MB} MB, 4-layer OCI image (MB of layer tar per second)"
exit 0
