# Helpers for the pull cases: a real registry (Debian's docker-registry, distribution 2.8) on
# 127.0.0.1 with TLS from a CA made here and htpasswd Basic auth, filled with skopeo from the
# busybox OCI fixture; and a fault proxy in front of it. Sourced after common.bash.
# shellcheck shell=bash

REG_USER=tester
REG_PASS=s3cret
# Bump the suffix when _build_registry changes: the cache is keyed by it.
REG_FIXTURE=$FIXTURES/registry-v2

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# _registry_config DIR PORT: a config for storage DIR/storage on 127.0.0.1:PORT; Basic auth
# from DIR/htpasswd, or Bearer tokens from $TOKEN_PORT's token server when that is set; a
# client certificate from the CA $CLIENT_CA required when that is set.
_registry_config() {
  local auth clientcas=
  [ -n "${CLIENT_CA:-}" ] && clientcas="
    clientcas:
      - $CLIENT_CA"
  if [ -n "${TOKEN_PORT:-}" ]; then
    auth="  token:
    realm: https://127.0.0.1:$TOKEN_PORT/token
    service: cinit-test-registry
    issuer: cinit-test-issuer
    rootcertbundle: $1/token.crt"
  else
    auth="  htpasswd:
    realm: cinit-test
    path: $1/htpasswd"
  fi
  cat >"$1/config.yml" <<YML
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
    key: $1/server.key$clientcas
auth:
$auth
YML
}

# _serve DIR PORT: starts the registry of DIR in the background and waits until it answers
# (to $CLIENT_CERT and $CLIENT_KEY, when it asks for a client certificate).
_serve() {
  _registry_config "$1" "$2"
  docker-registry serve "$1/config.yml" >"$1/log" 2>&1 &
  REG_PID=$!
  wait_for curl -s -o /dev/null --cacert "$1/ca.crt" \
    ${CLIENT_CA:+--cert "$CLIENT_CERT" --key "$CLIENT_KEY"} "https://127.0.0.1:$2/v2/" ||
    fail "registry did not start: $(tail -5 "$1/log")"
}

# stop_registry: ends the registry _serve started last, by its pid, and waits for it.
stop_registry() {
  [ -n "${REG_PID:-}" ] || return 0
  kill "$REG_PID" 2>/dev/null
  wait "$REG_PID" 2>/dev/null
  REG_PID=
}

# _push DIR PORT SRC NAME [skopeo flags]: copies SRC (an oci: or other skopeo source) in.
_push() {
  skopeo copy -q "${@:5}" --dest-cert-dir "$1/certs" --dest-creds "$REG_USER:$REG_PASS" \
    "$3" "docker://127.0.0.1:$2/$4" >/dev/null || fail "skopeo push of $3 failed"
}

# _two_platforms LAYOUT: adds tag "multi" to LAYOUT:latest's layout, an index of two
# manifests (linux/amd64 and linux/arm64) over the same layer, told apart by $PLATFORM.
_two_platforms() {
  python3 - "$1" <<'PY'
import hashlib, json, os, sys
lay = sys.argv[1]
def blob(data):
    h = hashlib.sha256(data).hexdigest()
    with open(f"{lay}/blobs/sha256/{h}", "wb") as f:
        f.write(data)
    return h
def read(h):
    with open(f"{lay}/blobs/sha256/{h}", "rb") as f:
        return f.read()
index = json.load(open(f"{lay}/index.json"))
top = next(m for m in index["manifests"]
           if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "latest")
man = json.loads(read(top["digest"][7:]))
cfg = json.loads(read(man["config"]["digest"][7:]))
entries = []
for arch in ("amd64", "arm64"):
    c = json.loads(json.dumps(cfg))
    c["architecture"] = arch
    c["config"]["Env"] = c["config"].get("Env", []) + ["PLATFORM=" + arch]
    cb = json.dumps(c).encode()
    m = dict(man, config=dict(man["config"], digest="sha256:" + blob(cb), size=len(cb)))
    mb = json.dumps(m).encode()
    entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": "sha256:" + blob(mb), "size": len(mb),
                    "platform": {"os": "linux", "architecture": arch}})
ib = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": entries}).encode()
index["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                           "digest": "sha256:" + blob(ib), "size": len(ib),
                           "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(index, open(f"{lay}/index.json", "w"))
PY
}

# _build_registry DIR: CA, server certificate, htpasswd, and a storage holding
# busybox:latest (one gzip layer) and multi:latest (an index of two platforms).
_build_registry() {
  local d=$1 port
  mkdir -p "$d/certs"
  (
    cd "$d" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj /CN=cinit-test-ca 2>/dev/null &&
      openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
        -subj /CN=127.0.0.1 2>/dev/null &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >ext &&
      openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
        -out server.crt -days 3650 -extfile ext 2>/dev/null
  ) || fail "openssl failed"
  cp "$d/ca.crt" "$d/certs/ca.crt"
  htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$d/htpasswd" 2>/dev/null || fail "htpasswd failed"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token.key" -out "$d/token.crt" \
    -days 3650 -subj /CN=cinit-test-token 2>/dev/null || fail "openssl (token key) failed"
  port=$(free_port)
  _serve "$d" "$port"
  local pid=$!
  local lay=$d/layout
  cp -a "$FIXTURES/base" "$lay"
  _two_platforms "$lay"
  _push "$d" "$port" "oci:$lay:latest" busybox:latest
  _push "$d" "$port" "oci:$lay:multi" multi:latest --all
  kill "$pid"
  wait "$pid" 2>/dev/null
  rm -rf "$lay" "$d/log" "$d/config.yml"
}

# registry_fixture: builds the cached registry ($REG_FIXTURE) once per machine and user.
registry_fixture() {
  [ -f "$REG_FIXTURE/token.crt" ] && return 0
  base_image # builds the cached layout if needed
  local tmp
  tmp=$(mktemp -d "$FIXTURES/.reg.XXXXXX")
  _build_registry "$tmp/r"
  mv -T "$tmp/r" "$REG_FIXTURE" 2>/dev/null || true # a parallel builder won
  rm -rf "$tmp"
}

# start_registry: $REG (a private copy of the cached registry, owned by root) serving on
# 127.0.0.1:$REG_PORT; the test user trusts its CA (certs.d) and has its credentials
# (~/.docker/config.json) unless NO_CREDS is set.
start_registry() {
  registry_fixture
  REG=$T/reg
  cp -a "$REG_FIXTURE" "$REG"
  REG_PORT=$(free_port)
  _serve "$REG" "$REG_PORT"
  trust_port "$REG_PORT"
  if [ -z "${NO_CREDS:-}" ]; then
    mkdir -p "$T/home/.docker"
    printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$REG_PORT" \
      "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64)" >"$T/home/.docker/config.json"
    own "$T/home"
  fi
}

# start_token_server [EXPIRES_IN LIFETIME]: a Bearer token server (token_server.py) on
# $TOKEN_PORT, its tokens said to last EXPIRES_IN seconds and refused by the registry after
# LIFETIME (300 both by default); call it before start_registry, which then asks for its
# tokens instead of Basic auth.
start_token_server() {
  registry_fixture
  TOKEN_PORT=$(free_port)
  python3 "$REPO/tests/integration/launcher/token_server.py" "$TOKEN_PORT" \
    "$REG_FIXTURE/server.crt" "$REG_FIXTURE/server.key" "$REG_FIXTURE/token.key" \
    "$REG_FIXTURE/token.crt" cinit-test-issuer cinit-test-registry "$T/token.log" \
    "${1:-300}" "${2:-300}" >"$T/token.out" 2>&1 &
  wait_for curl -s -o /dev/null --cacert "$REG_FIXTURE/ca.crt" \
    "https://127.0.0.1:$TOKEN_PORT/token" || fail "token server did not start: $(cat "$T/token.out")"
}

# trust_port PORT: the test user trusts the registry CA for 127.0.0.1:PORT (podman's
# certs.d under XDG_CONFIG_HOME).
trust_port() {
  mkdir -p "$T/config/containers/certs.d/127.0.0.1:$1"
  cp "$REG/ca.crt" "$T/config/containers/certs.d/127.0.0.1:$1/ca.crt"
  own "$T/config"
}

# blob_gets: how many blob GETs the registry has answered so far (its access log).
blob_gets() {
  grep -c '"GET /v2/[^ ]*/blobs/sha256:' "$REG/log" || true
}

# start_proxy MODE [MANIFEST]: the fault proxy (fault_proxy.py) on 127.0.0.1:$PROXY_PORT in front of
# the registry, trusted like it; its log of blob requests is $T/proxy.log.
start_proxy() {
  PROXY_PORT=$(free_port)
  python3 "$REPO/tests/integration/launcher/fault_proxy.py" "$1" "$PROXY_PORT" "$REG_PORT" \
    "$REG/server.crt" "$REG/server.key" "$REG/ca.crt" "$T/proxy.log" ${2:+"$2"} \
    >"$T/proxy.out" 2>&1 &
  wait_for curl -s -o /dev/null --cacert "$REG/ca.crt" "https://127.0.0.1:$PROXY_PORT/v2/" ||
    fail "proxy did not start: $(cat "$T/proxy.out")"
  trust_port "$PROXY_PORT"
  mkdir -p "$T/home/.docker"
  printf '{"auths": {"127.0.0.1:%s": {"auth": "%s"}}}\n' "$PROXY_PORT" \
    "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64)" >"$T/home/.docker/config.json"
  own "$T/home"
}

# on_pty [PROMPT=ANSWER...] -- ARGS...: the launcher (as `launcher` runs it) on a fresh
# pseudo-terminal (on_pty.py), each ANSWER typed once its PROMPT is shown; prints what the
# terminal showed and exits with the launcher's status.
on_pty() {
  local answers=() user=()
  while [ "$1" != -- ]; do
    answers+=("$1")
    shift
  done
  shift
  if [ "$MODE" = user ] && [ "$(id -u)" -eq 0 ]; then user=(runuser -u "$TEST_USER" --); fi
  # shellcheck disable=SC2086 # LAUNCHER_ENV is a list of words, as launcher() takes it
  python3 "$REPO/tests/integration/launcher/on_pty.py" "${answers[@]}" -- "${user[@]}" \
    env -u LAUNCHER_CONFIG HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" \
    ${LAUNCHER_ENV:-} "$BIN/launcher" "$@"
}
