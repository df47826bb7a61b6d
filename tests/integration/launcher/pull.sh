# launcher pull / run REF: a real registry on 127.0.0.1 (TLS from a CA made here, htpasswd
# Basic auth), layers verified and streamed into the store, never fetched twice, faults.
source tests/integration/launcher/common.bash
source tests/integration/launcher/registry.bash

test_pull_and_run() {
  start_registry
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox" 2>"$T/err") || fail "pull failed: $(cat "$T/err")"
  assert_eq "127.0.0.1:$REG_PORT/busybox:latest" "$out" "printed name"
  assert_contains "$(launcher images)" "127.0.0.1:$REG_PORT/busybox:latest"
  out=$(launcher run --no-init "127.0.0.1:$REG_PORT/busybox" -- sh -c 'echo $FROM_IMAGE; cat /etc/passwd')
  assert_contains "$out" "yes"
  assert_contains "$out" "user:x:1000"
}

test_run_pulls_on_first_use_only() {
  start_registry
  ref=127.0.0.1:$REG_PORT/busybox
  out=$(launcher run --no-init "$ref" -- sh -c 'echo $FROM_IMAGE' 2>"$T/err") ||
    fail "run failed: $(cat "$T/err")"
  assert_eq "yes" "$out" "output of the pulled image"
  assert_contains "$(launcher images)" "$ref:latest"
  gets=$(blob_gets)
  manifests=$(grep -c '"GET /v2/busybox/manifests/' "$REG/log")
  launcher run --no-init "$ref" -- true || fail "second run failed"
  assert_eq "$manifests" "$(grep -c '"GET /v2/busybox/manifests/' "$REG/log")" \
    "manifest GETs after a run of a stored image"
  launcher run --no-init --pull=always "$ref" -- true || fail "run --pull=always failed"
  [ "$(grep -c '"GET /v2/busybox/manifests/' "$REG/log")" -gt "$manifests" ] ||
    fail "--pull=always did not ask the registry"
  assert_eq $((gets + 1)) "$(blob_gets)" "blob GETs of a --pull=always of a stored image (config only)"
}

test_second_pull_fetches_no_layer() {
  start_registry
  launcher pull -q "127.0.0.1:$REG_PORT/busybox:latest" >/dev/null || fail "first pull failed"
  first=$(blob_gets)
  [ "$first" -ge 2 ] || fail "first pull made $first blob GETs (config and layer expected)"
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox:latest" --name again 2>&1 >/dev/null) ||
    fail "second pull failed"
  assert_contains "$out" "already in the store"
  # The config is fetched again (it is small and names the diff_ids); the layer is not.
  assert_eq $((first + 1)) "$(blob_gets)" "blob GETs after the second pull"
  assert_contains "$(launcher images)" "again"
}

test_concurrent_pulls_fetch_each_layer_once() {
  start_registry
  pids=()
  for i in 1 2 3 4; do
    launcher pull -q "127.0.0.1:$REG_PORT/busybox" --name "p$i" >"$T/out$i" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  for i in 1 2 3 4; do
    assert_eq "p$i" "$(cat "$T/out$i" | grep -v 'waiting for another pull')" "pull $i"
  done
  layer=$(ls "$T/data/launcher/layers")
  assert_eq 1 "$(grep -c "\"GET /v2/busybox/blobs/sha256:$layer" "$REG/log")" \
    "GETs of the layer blob by four concurrent pulls"
}

test_unknown_tag_is_404() {
  start_registry
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox:nosuchtag" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "404"
  assert_contains "$out" "nosuchtag"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
  store_is_clean
}

test_wrong_credentials_are_401() {
  NO_CREDS=1 start_registry
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox" 2>&1)
  assert_eq 125 $? "exit status without credentials"
  assert_contains "$out" "401"
  assert_contains "$out" "no credentials"
  mkdir -p "$T/home/.docker"
  printf '{"auths": {"https://127.0.0.1:%s/v2/": {"auth": "%s"}}}\n' "$REG_PORT" \
    "$(printf 'tester:wrong' | base64)" >"$T/home/.docker/config.json"
  own "$T/home"
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox" 2>&1)
  assert_eq 125 $? "exit status with a wrong password"
  assert_contains "$out" "401"
  assert_contains "$out" "were refused"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
  store_is_clean
}

test_untrusted_ca_names_certs_d() {
  start_registry
  rm -rf "$T/config/containers/certs.d"
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "TLS"
  assert_contains "$out" "containers/certs.d/127.0.0.1:$REG_PORT"
  store_is_clean
}

test_unknown_host_is_one_line() {
  out=$(launcher pull "no-such-host.invalid/busybox" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "unable to resolve host 'no-such-host.invalid'"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
}

test_flipped_byte_is_a_digest_mismatch() {
  start_registry
  start_proxy flip
  out=$(launcher pull "127.0.0.1:$PROXY_PORT/busybox" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "sha256"
  store_is_clean
}

test_index_resolves_to_the_platform() {
  start_registry
  ref=127.0.0.1:$REG_PORT/multi
  launcher pull -q "$ref" --name host >/dev/null || fail "pull for this host failed"
  launcher pull -q "$ref" --name arm --platform linux/arm64 >/dev/null || fail "arm64 pull failed"
  # Both configs share the busybox layer: what tells them apart is their environment.
  host_arch=$(uname -m | sed 's/x86_64/amd64/; s/aarch64/arm64/')
  assert_eq "$host_arch" "$(launcher run --no-init host -- sh -c 'echo $PLATFORM')" "host's"
  assert_eq "arm64" "$(launcher run --no-init arm -- sh -c 'echo $PLATFORM')" "--platform's"
  out=$(launcher pull "$ref" --platform linux/s390x 2>&1)
  assert_eq 125 $? "exit status for a platform it lacks"
  assert_contains "$out" "linux/amd64, linux/arm64"
}

test_cut_connection_resumes_with_range() {
  start_registry
  start_proxy cut
  launcher pull -q "127.0.0.1:$PROXY_PORT/busybox" --name cut >/dev/null 2>"$T/err" ||
    fail "pull through a cutting proxy failed: $(cat "$T/err")"
  layer=$(ls "$T/data/launcher/layers")
  grep "sha256:$layer" "$T/proxy.log" >"$T/layer.log"
  assert_eq 2 "$(wc -l <"$T/layer.log")" "requests for the layer"
  first=$(sed -n 1p "$T/layer.log")
  second=$(sed -n 2p "$T/layer.log")
  cut_at=${first##*sent=}
  assert_contains "$second" "range=bytes=$cut_at-" "the resumed request"
  assert_contains "$second" "status=206"
  launcher run --no-init cut -- true || fail "run of the resumed image failed"
}

test_429_waits_for_retry_after() {
  start_registry
  start_proxy 429
  launcher pull -q "127.0.0.1:$PROXY_PORT/busybox" >/dev/null 2>"$T/err" ||
    fail "pull through a 429 proxy failed: $(cat "$T/err")"
  assert_contains "$(cat "$T/proxy.log")" "status=429"
  [ "$(ls "$T/data/launcher/images" | wc -l)" = 1 ] || fail "no image after the retries"
}

test_redirect_drops_the_credentials() {
  start_registry
  start_proxy redirect
  launcher pull -q "127.0.0.1:$PROXY_PORT/busybox" >/dev/null 2>"$T/err" ||
    fail "pull through a redirecting proxy failed: $(cat "$T/err")"
  log=$(cat "$T/proxy.log")
  assert_contains "$log" "redirect auth=yes"
  assert_contains "$log" "cdn auth=no"
  assert_not_contains "$log" "cdn auth=yes"
}

test_bearer_token_flow() {
  start_token_server
  start_registry
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox" 2>"$T/err") || fail "pull failed: $(cat "$T/err")"
  assert_eq "127.0.0.1:$REG_PORT/busybox:latest" "$out" "printed name"
  log=$(cat "$T/token.log")
  assert_contains "$log" "service=cinit-test-registry scope=repository:busybox:pull auth=yes"
  # One token serves the whole pull (manifest, config, layer): it is asked for once (the
  # other line is start_token_server's probe).
  assert_eq 1 "$(grep -c 'auth=yes' "$T/token.log")" "token requests"
  launcher run --no-init "127.0.0.1:$REG_PORT/busybox" -- true || fail "run failed"
  # Without credentials the token server refuses: one line, 125, the realm named.
  rm "$T/home/.docker/config.json"
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox" --name other 2>&1)
  assert_eq 125 $? "exit status without credentials"
  assert_contains "$out" "get a token from 'https://127.0.0.1:$TOKEN_PORT/token'"
  assert_contains "$out" "401"
}

# tokens_asked: how many tokens the launcher asked for (start_token_server's probe has no
# credentials, so it is not counted).
tokens_asked() { grep -c 'auth=yes' "$T/token.log"; }

test_bearer_token_renewed_before_it_expires() {
  # Tokens that last 4 s, a link that takes 4 s per blob: the second blob needs a second
  # token, and the launcher must ask for it before it sends the old one (which the
  # registry would refuse with a 401). It renews a token in its last quarter (here the
  # last second), so a request on the way never outlives its token.
  start_token_server 4 4
  start_registry
  FAULT_DELAY=4 start_proxy slow
  launcher pull -q "127.0.0.1:$PROXY_PORT/busybox" >/dev/null 2>"$T/err" ||
    fail "pull that outlives its token failed: $(cat "$T/err")"
  [ "$(tokens_asked)" -ge 2 ] || fail "$(tokens_asked) token(s) for a pull of over 8 s"
  assert_contains "$(cat "$T/proxy.log")" "status=200"
  assert_not_contains "$(cat "$T/proxy.log")" "status=401" "blob answers (an expired token sent)"
}

test_bearer_token_renewed_after_a_401() {
  # The token server says 300 s but its tokens die after 4 s: the layer, asked for after
  # 5 s, is refused mid-pull (401), and the launcher must fetch a new token and go on.
  start_token_server 300 4
  start_registry
  FAULT_DELAY=5 start_proxy slow
  launcher pull -q "127.0.0.1:$PROXY_PORT/busybox" >/dev/null 2>"$T/err" ||
    fail "pull whose token died mid-way failed: $(cat "$T/err")"
  assert_eq 2 "$(tokens_asked)" "tokens asked for"
  layer=$(ls "$T/data/launcher/layers")
  grep "sha256:$layer" "$T/proxy.log" >"$T/layer.log"
  assert_contains "$(sed -n 1p "$T/layer.log")" "status=401" "the layer's first answer"
  assert_contains "$(sed -n 2p "$T/layer.log")" "status=200" "the layer's second answer"
  launcher run --no-init "127.0.0.1:$PROXY_PORT/busybox" -- true || fail "run failed"
}

test_403_is_one_line_and_stores_nothing() {
  start_registry
  start_proxy forbidden
  out=$(launcher pull "127.0.0.1:$PROXY_PORT/busybox" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "403 DENIED: requested access to the resource is denied"
  assert_contains "$out" "unable to fetch blob sha256:"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
  # A refusal is not retried as a busy registry would be.
  assert_eq 1 "$(grep -c 'status=403' "$T/proxy.log")" "requests answered 403"
  store_is_clean
}

# bad_manifest BODY NEEDLE: a pull whose manifest is BODY fails with one line naming NEEDLE,
# and stores nothing.
bad_manifest() {
  printf '%s' "$1" >"$T/manifest.json"
  out=$(launcher pull "127.0.0.1:$PROXY_PORT/busybox" 2>&1)
  assert_eq 125 $? "exit status for [$2]"
  assert_contains "$out" "$2"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
  store_is_clean
}

test_bad_manifests_are_refused() {
  start_registry
  echo '{}' >"$T/manifest.json"
  start_proxy manifest "$T/manifest.json"
  hex=$(printf '%064d' 0)
  bad_manifest '{"schemaVersion": 1, "name": "busybox", "tag": "latest", "fsLayers": []}' \
    "Docker schema 1"
  bad_manifest '{"schemaVersion": 2, "mediaType": "application/vnd.example.thing+json"}' \
    "unknown manifest media type 'application/vnd.example.thing+json'"
  bad_manifest '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
    "digest": "sha256:'"$hex"'", "size": 2}, "layers": []}' "not a container image"
  bad_manifest '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
    "digest": "sha256:'"$hex"'", "size": 99999999}, "layers": []}' "over the limit"
  python3 -c 'import sys; sys.stdout.write("{\"x\": \"" + "a" * (5 << 20) + "\"}")' \
    >"$T/big.json"
  bad_manifest "$(cat "$T/big.json")" "over the size limit"
}

test_credential_helper() {
  NO_CREDS=1 start_registry
  mkdir -p "$T/helper" "$T/home/.docker"
  # docker-credential-helpers' protocol: `get`, the server on stdin, JSON on stdout.
  cat >"$T/helper/docker-credential-cinittest" <<SH
#!/bin/sh
[ "\$1" = get ] || exit 1
cat >"$T/helper/asked"
echo '{"ServerURL": "x", "Username": "$REG_USER", "Secret": "$REG_PASS"}'
SH
  chmod 755 "$T/helper/docker-credential-cinittest"
  printf '{"credHelpers": {"127.0.0.1:%s": "cinittest"}}\n' "$REG_PORT" \
    >"$T/home/.docker/config.json"
  own "$T/helper" "$T/home"
  LAUNCHER_ENV="PATH=$T/helper:$PATH" launcher pull -q "127.0.0.1:$REG_PORT/busybox" \
    >/dev/null 2>"$T/err" || fail "pull with a credential helper failed: $(cat "$T/err")"
  assert_eq "127.0.0.1:$REG_PORT" "$(cat "$T/helper/asked")" "what the helper was asked"
  # A helper that is not there is named in the error.
  printf '{"credsStore": "nosuchhelper"}\n' >"$T/home/.docker/config.json"
  own "$T/home"
  out=$(launcher pull "127.0.0.1:$REG_PORT/busybox" --name other 2>&1)
  assert_eq 125 $? "exit status with a missing helper"
  assert_contains "$out" "docker-credential-nosuchhelper"
}

test_truncated_blob_is_refused() {
  start_registry
  start_proxy short
  out=$(launcher pull "127.0.0.1:$PROXY_PORT/busybox" 2>&1)
  assert_eq 125 $? "exit status"
  assert_contains "$out" "truncated blob"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
  store_is_clean
}

test_https_proxy_is_used() {
  start_registry
  port=$(free_port)
  python3 "$REPO/tests/integration/launcher/connect_proxy.py" "$port" "$T/connect.log" \
    >"$T/connect.out" 2>&1 &
  wait_for python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" ||
    fail "proxy did not start: $(cat "$T/connect.out")"
  # The proxy is named by host name: it is resolved like any registry host.
  LAUNCHER_ENV="HTTPS_PROXY=http://localhost:$port NO_PROXY=" launcher pull -q \
    "127.0.0.1:$REG_PORT/busybox" >/dev/null 2>"$T/err" || fail "pull failed: $(cat "$T/err")"
  assert_contains "$(cat "$T/connect.log")" "CONNECT 127.0.0.1:$REG_PORT"
  # NO_PROXY exempts the registry: no new tunnel.
  before=$(wc -l <"$T/connect.log")
  LAUNCHER_ENV="HTTPS_PROXY=http://localhost:$port NO_PROXY=127.0.0.1" launcher pull -q \
    "127.0.0.1:$REG_PORT/busybox" --name direct >/dev/null 2>"$T/err" ||
    fail "pull with NO_PROXY failed: $(cat "$T/err")"
  assert_eq "$before" "$(wc -l <"$T/connect.log")" "tunnels after a NO_PROXY pull"
}

test_progress_on_a_terminal() {
  start_registry
  start_proxy trickle # the layer takes 2 s: the block is drawn with the layer half-way
  ref=127.0.0.1:$PROXY_PORT/busybox
  start=$(now_ms)
  on_pty -- pull "$ref" >"$T/tty.out" 2>&1 || fail "pull on a terminal failed: $(cat "$T/tty.out")"
  elapsed=$(($(now_ms) - start))
  layer=$(ls "$T/data/launcher/layers")
  out=$(cat "$T/tty.out")
  # The layer in flight: its bytes, share and rate; then the total with the time left.
  [[ $out =~ "  ${layer:0:12}: "[0-9.]+/[0-9.]+" MB ("[1-9][0-9]?"%), "[0-9.]+" MB/s" ]] ||
    fail "no line of the layer half-way: $out"
  [[ $out =~ "pulling: 0/1 layers, "[0-9.]+/[0-9.]+" MB, "[0-9.]+" MB/s, "[0-9]+" s left" ]] ||
    fail "no total line with the time left: $out"
  assert_contains "$out" "${layer:0:12}: fetched "
  # Redrawn in place (up over the block, clear to the end of the screen), at most ~10 times a
  # second.
  redraws=$(grep -o $'\e\[J' "$T/tty.out" | wc -l)
  [ "$redraws" -ge 5 ] || fail "$redraws redraws in a pull of $elapsed ms"
  [ "$redraws" -le $((elapsed / 100 + 3)) ] || fail "$redraws redraws in $elapsed ms: over 10/s"
  assert_contains "$out" $'\e[1A' "the cursor moved up over the block"
  # Not a terminal: one line per layer, no escapes; nothing at all with --quiet.
  out=$(launcher pull "$ref" --name plain 2>&1 >/dev/null)
  assert_eq "${layer:0:12}: already in the store" "$out" "stderr off a terminal"
  assert_eq "" "$(launcher pull -q "$ref" --name q 2>&1 >/dev/null)" "--quiet's stderr"
}

test_client_certificate_from_certs_d() {
  # A registry that requires a client certificate signed by a CA of its own (mutual TLS).
  (
    cd "$T" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout client-ca.key -out client-ca.crt \
      -days 2 -subj /CN=cinit-test-client-ca &&
      openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=tester &&
      openssl x509 -req -in client.csr -CA client-ca.crt -CAkey client-ca.key \
        -CAcreateserial -out client.cert -days 2
  ) >/dev/null 2>&1 || fail "openssl (client certificate) failed"
  CLIENT_CA=$T/client-ca.crt CLIENT_CERT=$T/client.cert CLIENT_KEY=$T/client.key start_registry
  reg=127.0.0.1:$REG_PORT
  dir=$T/config/containers/certs.d/$reg
  out=$(launcher pull "$reg/busybox" 2>&1)
  assert_eq 125 $? "exit status without a client certificate"
  assert_contains "$out" "$dir/client.cert"
  assert_eq 1 "$(printf '%s\n' "$out" | wc -l)" "lines of the error"
  store_is_clean
  # Half a pair is an error that names it, not an anonymous TLS client.
  cp "$T/client.key" "$dir/client.key"
  own "$T/config"
  out=$(launcher pull "$reg/busybox" 2>&1)
  assert_eq 125 $? "exit status with a key alone"
  assert_contains "$out" "no 'client.cert' beside it"
  cp "$T/client.cert" "$dir/client.cert"
  own "$T/config"
  launcher pull -q "$reg/busybox" >/dev/null 2>"$T/err" ||
    fail "pull with a client certificate failed: $(cat "$T/err")"
  launcher run --no-init "$reg/busybox" -- true || fail "run of the pulled image failed"
}
