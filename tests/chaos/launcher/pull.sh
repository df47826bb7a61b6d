# launcher pull under faults, against the local registry (tests/integration/launcher/
# registry.bash): SIGKILL after each layer blob and at the final rename, and inside a layer
# as it streams in; two pulls of one image at once. After each: `launcher images` lists only
# complete images, and the next pull completes, reusing the layers that were whole.
source tests/chaos/launcher/common.bash
source tests/integration/launcher/registry.bash

# registry_with_layers: the registry, holding layered_image as $REF (three layers).
registry_with_layers() {
  start_registry
  layered_image "$T/img"
  _push "$REG" "$REG_PORT" "oci:$T/img:latest" layered:latest
  REF=127.0.0.1:$REG_PORT/layered:latest
}

# kill_then_pull CALL N: kill_then_again for a pull of $REF. One layer at a time: the
# commits are then the Nth renames of one thread.
kill_then_pull() {
  kill_then_again "$1" "$2" pull -q --jobs 1 "$REF" --name img
}

test_pull_sigkill_at_every_commit_and_inside_a_layer() {
  registry_with_layers
  local n=1
  while kill_then_pull rename "$n"; do
    n=$((n + 1))
  done
  [ "$n" -ge 5 ] || fail "only $((n - 1)) renames: the image was not committed layer by layer"
  # The base layer's applet links (symlinkat) are written by the unpacker thread while the
  # blob is still coming in.
  local i
  for i in $(chaos_scale 22 "1 18 37"); do # of 37
    kill_then_pull symlinkat "$i" || fail "no symlinkat #$i in the base layer"
  done
  launcher_gone
  stop_registry # a chaos case leaves nothing running
  chaos_row "pull SIGKILLed after each layer blob and at the final rename ($((n - 1)) commits)" \
    "killed pull leaves no image; next pull completes" "every committed layer reused, debris swept"
  chaos_row "pull SIGKILLed while a layer streams in" "no image, no layer of it" \
    "the partial layer swept by the next pull"
}

test_two_pulls_of_one_image_at_once() {
  registry_with_layers
  local rounds
  rounds=$(chaos_scale 1 5)
  twice_at_once "$rounds" pull -q "$REF" --name twin
  stop_registry
  chaos_row "two pulls of one image at once, $rounds times" "both succeed" \
    "one image, each layer once"
}
