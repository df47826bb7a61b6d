#!/usr/bin/env bash
# launcher vs bubblewrap, charliecloud (ch-run) and plain unshare, all run by the unprivileged
# user cinit-test in the same run on the same busybox image:
#   run:    launcher run bb -- true | bwrap --unshare-all --bind ROOTFS / --proc /proc --dev /dev
#           true | ch-run ROOTFS -- true | unshare -Urmpf --mount-proc true
#   import: launcher import of a ~200 MB multi-layer OCI image, from its layout and from an
#           oci-archive (skopeo's), vs umoci unpack --rootless.
#   pull:   launcher pull of a ~200 MB, 5-layer gzip image from a local registry (Debian's
#           docker-registry, TLS on 127.0.0.1, Basic auth) vs skopeo copy + umoci unpack
#           --rootless and rootless podman pull; then the second pull, which must fetch no layer.
# BENCH_LAUNCHER="import pull": only those sections (default: run import pull).
# Everything lives in a temp dir under /tmp that the user can reach (the checkout may not be).
source "$(dirname "$0")/lib.sh"
bench_setup

bench_user_setup
IMPORT_MB=$(q "${BENCH_IMPORT_MB:-200}" 20)
PULL_MB=$(q "${BENCH_PULL_MB:-200}" 20)
SECTIONS=" ${BENCH_LAUNCHER:-run import pull} "
section() { [[ $SECTIONS == *" $1 "* ]]; }
LAUNCHER=$T/bin/launcher
declare -A V
cell() { echo "${V[$1.$2]:-n/a}"; }

echo "== launcher: ours vs bwrap, ch-run, unshare (as $USER_NAME, same busybox image) =="
echo "   $(nproc) CPUs, kernel $(uname -r), quick=$QUICK"

if section run; then
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
fi

# make_image DIR MB LAYERS: an OCI layout DIR:latest of LAYERS gzip layers, MB of layer tar in
# all (random, compressible text, many small files), made once with umoci (DIR/done when made;
# the same content every run). DIR/payload_bytes: the layers' uncompressed tar bytes, which
# MB/s is measured against (the same for every tool).
make_image() {
  local dir=$1 mb=$2 n=$3 per k g ok=1
  [ -e "$dir/done" ] && return 0
  log "generating a $mb MB $n-layer OCI image (once; cached in $dir)"
  rm -rf "$dir" "$T/gen"
  mkdir -p "$dir"
  per=$((mb / n))
  { umoci init --layout "$dir/oci" && umoci new --image "$dir/oci:latest" &&
    umoci unpack --image "$dir/oci:latest" "$T/gen"; } >>"$T/umoci.log" 2>&1 || ok=0
  for k in $(seq 1 "$n"); do
    g=$T/gen/rootfs/data/l$k
    mkdir -p "$g/rand" "$g/text" "$g/small"
    # 40% incompressible, 40% compressible text, 20% in 4 KiB files; one layer each
    head -c $((per * 1024 * 1024 * 4 / 10)) /dev/urandom | split -b 1M - "$g/rand/r." &&
      seq "$k" $((per * 80000)) | head -c $((per * 1024 * 1024 * 4 / 10)) | split -b 256K - "$g/text/t." &&
      head -c $((per * 1024 * 1024 * 15 / 100)) /dev/urandom | base64 | head -c $((per * 1024 * 1024 * 2 / 10)) |
      split -a 4 -b 4K - "$g/small/s." &&
      umoci repack --refresh-bundle --image "$dir/oci:latest" "$T/gen" >>"$T/umoci.log" 2>&1 || ok=0
  done
  rm -rf "$T/gen"
  umoci config --image "$dir/oci:latest" --config.cmd /bin/sh >>"$T/umoci.log" 2>&1 && umoci gc --layout "$dir/oci" || ok=0
  for b in "$dir"/oci/blobs/sha256/*; do gzip -dc "$b" 2>/dev/null | wc -c; done |
    awk '{ s += $1 } END { print s + 0 }' >"$dir/payload_bytes"
  if [ "$ok" = 1 ]; then touch "$dir/done"; else log "umoci failed: $(tail -n3 "$T/umoci.log")"; fi
}

# timed NAME OUTFILE CMD...: runs CMD once as the user under timeit; appends its ms to OUTFILE.
timed() {
  local n=$1 f=$2 out
  shift 2
  out=$(as_user "$T/bin/timeit" 1 0 "$@")
  if [ "$(echo "$out" | cut -d' ' -f4)" = 0 ]; then
    echo "$out" | awk '{ printf "%.0f\n", $1 / 1000 }' >>"$f"
  else
    # timeit discards the output: once more, for the error's last line.
    log "$n failed ($out): $(as_user "$@" 2>&1 >/dev/null | tail -n1)"
    return 1
  fi
}

# --- import: a ~IMPORT_MB MB image of 4 layers, from its layout and from an oci-archive ------------
# The archive is skopeo's (blobs before index.json, as Go's lexical walk writes it).
CACHE=$HB/cache/oci-big-$IMPORT_MB
section import && make_image "$CACHE" "$IMPORT_MB" 4
if section import && [ -e "$CACHE/done" ] && [ ! -e "$CACHE/oci.tar" ]; then
  skopeo copy -q "oci:$CACHE/oci:latest" "oci-archive:$CACHE/oci.tar.tmp:latest" >>"$T/umoci.log" 2>&1 &&
    mv "$CACHE/oci.tar.tmp" "$CACHE/oci.tar" || log "import: skopeo could not make the oci-archive"
fi
if section import && [ -e "$CACHE/done" ]; then
  IMG=$T/oci-big
  cp -a "$CACHE/oci" "$IMG" && chown -R "$USER_NAME:" "$IMG"
  [ -e "$CACHE/oci.tar" ] && cp "$CACHE/oci.tar" "$T/oci-big.tar" && chown "$USER_NAME:" "$T/oci-big.tar"
  cat "$IMG"/blobs/sha256/* "$T/oci-big.tar" >/dev/null 2>&1 # all start from a warm page cache
  IMG_BYTES=$(du -sb "$IMG/blobs" | cut -f1)
  PAYLOAD=$(cat "$CACHE/payload_bytes")
  IROUNDS=$(q 2 1)
  IMPORTERS=(umoci)
  have "$LAUNCHER" && IMPORTERS+=(launcher)
  have "$LAUNCHER" && [ -e "$T/oci-big.tar" ] && IMPORTERS+=(launcher-archive)
  log "import: $IROUNDS rounds"
  for r in $(seq 1 "$IROUNDS"); do
    more_rounds "$r" 60 import || break
    for i in "${!IMPORTERS[@]}"; do
      n=${IMPORTERS[$(((i + r) % ${#IMPORTERS[@]}))]}
      d=$T/home/imp.$n.$r
      mkdir -p "$d" && chown "$USER_NAME:" "$d"
      case $n in
      umoci) cmd=(umoci unpack --rootless --image "$IMG:latest" "$d/bundle") ;;
      launcher) cmd=(env XDG_DATA_HOME="$d/xdg" "$LAUNCHER" import "$IMG" --name big) ;;
      launcher-archive) cmd=(env XDG_DATA_HOME="$d/xdg" "$LAUNCHER" import "$T/oci-big.tar" --name big) ;;
      esac
      timed "import: $n" "$T/imp.$n" "${cmd[@]}" && [ -z "${V[$n.bytes]:-}" ] && V[$n.bytes]=$(du -sb "$d" | cut -f1)
      rm -rf "$d"
    done
  done
  echo
  echo "-- import: 4-layer OCI image, $(awk -v b="$IMG_BYTES" 'BEGIN { printf "%.0f", b / 1048576 }') MB compressed, $(awk -v b="$PAYLOAD" 'BEGIN { printf "%.0f", b / 1048576 }') MB of layer tars (ms; MB/s of layer tar; median over rounds)"
  echo "   launcher: from the OCI layout; launcher-archive: from skopeo's oci-archive of it"
  row importer median_ms unpacked_MB MB_per_s runs "time/umoci"
  for n in umoci launcher launcher-archive; do
    V[$n.imp]=$(median "$T/imp.$n")
    isnum "$(cell "$n" imp)" && V[$n.mbs]=$(awk -v b="$PAYLOAD" -v t="${V[$n.imp]}" 'BEGIN { printf "%.1f", b / 1048576 / (t / 1000) }')
    row "$n" "$(cell "$n" imp)" "$(awk -v b="${V[$n.bytes]:-0}" 'BEGIN { printf "%.0f", b / 1048576 }')" "$(cell "$n" mbs)" \
      "$(lines "$T/imp.$n")" "$(ratio "$(cell "$n" imp)" "$(cell umoci imp)")"
  done
  echo "   (unpacked_MB: what each tool left on disk: umoci's bundle, the launcher's store)"
elif section import; then
  log "import: no image to import: skipped"
fi

# --- pull: a ~PULL_MB MB, 5-layer gzip image from a local registry -------------------------------
# The registry (TLS from a CA made here, htpasswd Basic auth) serves a storage filled once with
# skopeo and cached. Each puller starts from an empty store of its own; the registry's access
# log counts the layer bytes each request moved.
REG_USER=bench REG_PASS=bench-pass
PCACHE=$HB/cache/oci-pull-$PULL_MB
RCACHE=$HB/cache/registry-pull-$PULL_MB
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# serve_registry DIR PORT: docker-registry on 127.0.0.1:PORT for DIR's storage, logging to
# $T/registry.log; waits (bounded) until it answers.
serve_registry() {
  cat >"$T/registry.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $1/storage
http:
  addr: 127.0.0.1:$2
  tls:
    certificate: $1/server.crt
    key: $1/server.key
auth:
  htpasswd:
    realm: cinit-bench
    path: $1/htpasswd
YML
  "$(command -v docker-registry)" serve "$T/registry.yml" </dev/null >>"$T/registry.log" 2>&1 &
  REG_PID=$!
  STARTED+=("$REG_PID")
  local i
  for i in $(seq 1 250); do
    curl -s -o /dev/null --cacert "$1/ca.crt" "https://127.0.0.1:$2/v2/" && return 0
    nap 0.04
  done
  log "pull: the registry did not start: $(tail -n3 "$T/registry.log")"
  return 1
}
# make_registry DIR: CA, server certificate, htpasswd and a storage holding big:latest.
make_registry() {
  local d=$1 port
  [ -e "$d/done" ] && return 0
  rm -rf "$d" && mkdir -p "$d/certs"
  (
    cd "$d" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj /CN=cinit-bench-ca &&
      openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1 &&
      printf 'subjectAltName=IP:127.0.0.1\n' >ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 3650 -extfile ext &&
      cp ca.crt certs/ca.crt && htpasswd -Bbn "$REG_USER" "$REG_PASS" >htpasswd
  ) >>"$T/registry.log" 2>&1 || { log "pull: could not make the registry's certificates"; return 1; }
  port=$(free_port)
  serve_registry "$d" "$port" || return 1
  skopeo copy -q --dest-cert-dir "$d/certs" --dest-creds "$REG_USER:$REG_PASS" "oci:$PCACHE/oci:latest" \
    "docker://127.0.0.1:$port/big:latest" >>"$T/registry.log" 2>&1 && touch "$d/done" ||
    log "pull: skopeo could not push the image: $(tail -n3 "$T/registry.log")"
  stop_bg "$REG_PID"
  [ -e "$d/done" ]
}
# layer_bytes FROM: bytes of layer blobs the registry sent after line FROM of its log.
layer_bytes() {
  tail -n +"$(($1 + 1))" "$T/registry.log" | grep -F -f "$T/layers" |
    awk '/"GET / { for (i = 1; i < NF; i++) if ($i ~ /^HTTP\/[0-9.]+"$/) { s += $(i + 2); break } } END { print s + 0 }'
}
if section pull && make_image "$PCACHE" "$PULL_MB" 5 && make_registry "$RCACHE"; then
  PORT=$(free_port)
  serve_registry "$RCACHE" "$PORT" && PULLING=1 || PULLING=0
  REF=127.0.0.1:$PORT/big:latest
  python3 -c 'import json, sys
lay = sys.argv[1]
idx = json.load(open(lay + "/index.json"))
m = json.load(open(lay + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
print("\n".join("blobs/" + l["digest"] for l in m["layers"]))' "$PCACHE/oci" >"$T/layers"
  # The user's trust and credentials, where the launcher and podman look for them.
  mkdir -p "$T/home/.config/containers/certs.d/127.0.0.1:$PORT" "$T/home/.docker" "$T/home/run"
  cp "$RCACHE/ca.crt" "$T/home/.config/containers/certs.d/127.0.0.1:$PORT/"
  printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$PORT" "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64)" \
    >"$T/home/.docker/config.json"
  chmod 700 "$T/home/run"
  chown -R "$USER_NAME:" "$T/home"
  PULLERS=(skopeo+umoci)
  have "$LAUNCHER" && PULLERS+=(launcher)
  if as_user podman --version >/dev/null 2>&1; then PULLERS+=(podman); else log "pull: podman is not installed: n/a"; fi
  PROUNDS=$(q 2 1)
  [ "$PULLING" = 1 ] && log "pull: $PROUNDS rounds"
  for r in $(seq 1 "$PROUNDS"); do
    [ "$PULLING" = 1 ] || break
    more_rounds "$r" 85 pull || break
    for i in "${!PULLERS[@]}"; do
      n=${PULLERS[$(((i + r) % ${#PULLERS[@]}))]}
      d=$T/home/pull.$n.$r
      mkdir -p "$d" && chown "$USER_NAME:" "$d"
      case $n in
      skopeo+umoci)
        cmd=(sh -c "skopeo copy -q --src-cert-dir '$RCACHE/certs' --src-creds '$REG_USER:$REG_PASS' \
          docker://$REF 'oci:$d/oci:latest' && umoci unpack --rootless --image '$d/oci:latest' '$d/bundle'")
        ;;
      launcher) cmd=(env XDG_DATA_HOME="$d/xdg" "$LAUNCHER" pull -q "$REF" --name big) ;;
      podman)
        # Rootless, as the user, with native overlay and a storage root of its own (its run
        # root must be short: podman refuses one over 50 characters).
        mkdir -p "$T/pr$r" && chown "$USER_NAME:" "$T/pr$r"
        cmd=(env XDG_RUNTIME_DIR="$T/home/run" podman --root "$d/podman" --runroot "$T/pr$r"
          --storage-driver overlay --cgroup-manager cgroupfs --events-backend none
          pull -q --cert-dir "$RCACHE/certs" --creds "$REG_USER:$REG_PASS" "$REF")
        ;;
      esac
      from=$(wc -l <"$T/registry.log")
      timed "pull: $n" "$T/pull.$n" "${cmd[@]}" >/dev/null
      [ -z "${V[$n.pbytes]:-}" ] && V[$n.pbytes]=$(layer_bytes "$from")
      if [ "$n" = launcher ]; then
        from=$(wc -l <"$T/registry.log")
        timed "pull: launcher (second pull)" "$T/pull.launcher-again" "${cmd[@]}" >/dev/null
        layer_bytes "$from" >>"$T/pull.again-bytes"
      fi
      rm -rf "$d" 2>/dev/null || true
    done
  done
  # Rootless podman leaves its pause process (the holder of its user namespace): ours to end.
  pause=$(cat "$T/home/run/libpod/tmp/pause.pid" 2>/dev/null) && [ -n "$pause" ] && kill -KILL "$pause" 2>/dev/null
  stop_bg "$REG_PID"
  echo
  echo "-- pull: 5-layer gzip image, $(awk -v b="$(du -sb "$PCACHE/oci/blobs" | cut -f1)" 'BEGIN { printf "%.0f", b / 1048576 }') MB compressed," \
    "from docker-registry on 127.0.0.1 (TLS, Basic auth) into an empty store (ms; median over rounds)"
  echo "   launcher-again: the same pull once more into the launcher's store (layer_MB: layer bytes the registry sent)"
  row puller median_ms layer_MB runs "time/skopeo+umoci"
  for n in skopeo+umoci podman launcher launcher-again; do
    V[$n.pull]=$(median "$T/pull.$n")
    [ "$n" = launcher-again ] && V[$n.pbytes]=$(sort -n "$T/pull.again-bytes" 2>/dev/null | tail -n1)
    row "$n" "$(cell "$n" pull)" "$(awk -v b="${V[$n.pbytes]:-0}" 'BEGIN { printf "%.1f", b / 1048576 }')" \
      "$(lines "$T/pull.$n")" "$(ratio "$(cell "$n" pull)" "$(cell skopeo+umoci pull)")"
  done
elif section pull; then
  log "pull: no image or no registry: skipped"
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
# bar_of PEER_MS FACTOR: "le:PEER_MS*FACTOR", or le_peer (unchecked) when the peer has no figure.
bar_of() { if isnum "$1"; then awk -v p="$1" -v f="$2" 'BEGIN { printf "le:%.0f", p * f }'; else echo le_peer; fi; }
metric launcher_import_oci_layout ms "launcher import" "$(cell launcher imp)" "umoci unpack --rootless" "$(cell umoci imp)" \
  "$(bar_of "$(cell umoci imp)" 0.30)" "import of a ${IMPORT_MB} MB, 4-layer OCI image from its layout (bar: 0.30x umoci)"
metric launcher_import_oci_archive ms "launcher import" "$(cell launcher-archive imp)" "umoci unpack --rootless" "$(cell umoci imp)" \
  "$(bar_of "$(cell umoci imp)" 0.35)" "import of the same image from skopeo's oci-archive; umoci unpacks the layout (bar: 0.35x umoci)"
metric launcher_pull ms "launcher pull" "$(cell launcher pull)" "skopeo copy + umoci unpack --rootless" "$(cell skopeo+umoci pull)" \
  "$(bar_of "$(cell skopeo+umoci pull)" 0.35)" "pull + unpack of a ${PULL_MB} MB, 5-layer gzip image from a local TLS registry (bar: 0.35x skopeo + umoci)"
metric launcher_pull_vs_podman ms "launcher pull" "$(cell launcher pull)" "podman pull (rootless)" "$(cell podman pull)" \
  "$(bar_of "$(cell podman pull)" 0.5)" "the same pull against podman's (bar: 0.5x podman)"
metric launcher_pull_again ms "launcher pull" "$(cell launcher-again pull)" none n/a none \
  "the same pull once more, the image in the store"
metric launcher_pull_again_layer_bytes bytes "launcher pull" "$(cell launcher-again pbytes)" none n/a le:0 \
  "layer bytes the registry sent for the second pull"
metric launcher_import_speed MB/s "launcher import" "$(cell launcher mbs)" "umoci unpack --rootless" "$(cell umoci mbs)" ge_peer \
  "import of a ${IMPORT_MB} MB, 4-layer OCI image (MB of layer tar per second)"
exit 0
