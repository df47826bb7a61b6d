# launcher run: namespaces, mounts, id maps, signals, exit codes, binds, env, workdir, net,
# with --no-init and with cinit as PID 1.
source tests/integration/launcher/common.bash

# run_bg OUT ARGS...: starts `launcher run ARGS` in the background (stdout+stderr to OUT) and
# sets LPID to the launcher's own pid (exec keeps it), for signalling it.
run_bg() {
  local out=$1
  shift
  as_user env HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" \
    bash -c 'echo $$ >"$0"; exec "$@"' "$T/lpid" "$BIN/launcher" run "$@" >"$out" 2>&1 &
  BGPID=$!
  wait_for test -s "$T/lpid" || fail "launcher did not start"
  LPID=$(cat "$T/lpid")
}

test_exit_code_passes_through() {
  import_base
  launcher run --no-init base -- sh -c 'exit 7'
  assert_eq 7 $? "exit status"
  launcher run --no-init base -- true || fail "true failed"
}

test_launcher_failures_use_125_126_127() {
  import_base
  out=$(launcher run --no-init base -- /no/such/cmd 2>&1)
  assert_eq 127 $? "missing command"
  assert_contains "$out" "No such file or directory"
  out=$(launcher run --no-init base -- /etc/passwd 2>&1)
  assert_eq 126 $? "non-executable command"
  out=$(launcher run --no-init nosuchimage -- true 2>&1)
  assert_eq 125 $? "unknown image"
  assert_contains "$out" "unable to find image"
  out=$(launcher run --no-init -v /no/such/dir:/x base -- true 2>&1)
  assert_eq 125 $? "bad bind source"
  assert_contains "$out" "/no/such/dir"
}

test_pid_namespace_and_fresh_proc() {
  import_base
  out=$(launcher run --no-init base -- sh -c 'echo $$; ls /proc | grep -c "^[0-9]"')
  assert_eq "1" "$(echo "$out" | head -1)" "PID of the command"
  [ "$(echo "$out" | tail -1)" -le 3 ] || fail "host processes visible in /proc: $out"
}

test_id_map_with_subids() {
  import_base
  out=$(launcher run --no-init base -- cat /proc/self/uid_map)
  first=$(echo "$out" | awk 'NR==1 {print $1, $2, $3}')
  assert_eq "0 $(id -u "$TEST_USER") 1" "$first" "root maps to the user"
  sub=$(grep "^$TEST_USER:" /etc/subuid | cut -d: -f2)
  assert_eq "1 $sub" "$(echo "$out" | awk 'NR==2 {print $1, $2}')" "1.. maps to sub-ids"
}

test_files_created_inside_owned_by_mapped_ids() {
  import_base
  mkdir -p "$T/shared"
  own "$T/shared"
  launcher run --no-init -v "$T/shared:/shared" base -- \
    sh -c 'touch /shared/by_root && touch /shared/by_1000 && chown 1000:1000 /shared/by_1000' ||
    fail "run failed"
  assert_eq "$(id -u "$TEST_USER")" "$(stat -c %u "$T/shared/by_root")" "owner of root's file"
  sub=$(grep "^$TEST_USER:" /etc/subuid | cut -d: -f2)
  assert_eq "$((sub + 999))" "$(stat -c %u "$T/shared/by_1000")" "owner of uid 1000's file"
  # The gid map likewise: group 0 is the user's group, gid N the N-th sub-gid.
  assert_eq "$(id -g "$TEST_USER")" "$(stat -c %g "$T/shared/by_root")" "group of root's file"
  subg=$(grep "^$TEST_USER:" /etc/subgid | cut -d: -f2)
  [ -n "$subg" ] || fail "no sub-gid range for $TEST_USER in /etc/subgid"
  assert_eq "$((subg + 999))" "$(stat -c %g "$T/shared/by_1000")" "group of gid 1000's file"
}

test_multi_user_image_keeps_owners() {
  base_image
  pytar "$T/users.tar" 'd("srv", uid=100, gid=101); f("srv/svc", b"s", uid=100, gid=101)
d("home"); d("home/user", uid=1000, gid=1000, mode=0o700); f("home/user/f", b"u", uid=1000, gid=1000)'
  add_layer "$T/base" "$T/users.tar"
  launcher import "$T/base:latest" --name users >/dev/null || fail "import failed"
  out=$(launcher run --no-init users -- stat -c '%u:%g %n' /srv /srv/svc /home/user /home/user/f)
  assert_eq "100:101 /srv
100:101 /srv/svc
1000:1000 /home/user
1000:1000 /home/user/f" "$out" "owners inside"
  # And root can become them: su calls setgroups(), which the sub-id map allows.
  out=$(launcher run --no-init users -- busybox su -s /bin/sh -c 'id -u; cat /home/user/f' user \
    2>&1) || fail "uid 1000 cannot read its own file: $out"
  assert_eq "1000
u" "$out"
}

# import_user_image: the base image plus /etc/group and a home, with USER user (uid 1000),
# imported as "withuser".
import_user_image() {
  base_image
  pytar "$T/users.tar" 'd("etc"); f("etc/group", b"root:x:0:\nuser:x:1000:\nstaff:x:50:user\n")
d("home"); d("home/user", uid=1000, gid=1000)'
  add_layer "$T/base" "$T/users.tar"
  umoci config --image "$T/base:latest" --config.user user >/dev/null || fail "umoci config"
  own "$T/base"
  launcher import "$T/base:latest" --name withuser >/dev/null || fail "import failed"
}

test_image_user_and_user_option() {
  import_user_image
  show='echo $(id -u) $(id -g) "[$(id -G)]" $HOME'
  # The image's USER, its groups from the image's /etc/group, HOME from its passwd entry.
  assert_eq "1000 1000 [1000 50] /home/user" "$(launcher run --no-init withuser -- sh -c "$show")"
  assert_eq "0 0 [0] /root" "$(launcher run --no-init -u root withuser -- sh -c "$show")" "-u root"
  assert_eq "1000 50 [50] /home/user" "$(launcher run --no-init --user 1000:staff withuser -- \
    sh -c "$show")" "explicit group"
  assert_eq "4242 0 [0] /" "$(launcher run --no-init -u 4242 withuser -- sh -c "$show")" \
    "a uid the image does not know"
  assert_eq "/x" "$(launcher run --no-init -e HOME=/x withuser -- sh -c 'echo $HOME')" "-e HOME"
  out=$(launcher run --no-init -u nosuch withuser -- true 2>&1)
  assert_eq 125 $? "unknown user"
  assert_contains "$out" "nosuch"
  # Without sub-ids no other user exists: said, and run as root.
  out=$(LAUNCHER_ENV=LAUNCHER_NO_SUBIDS=1 launcher run --no-init withuser -- id -u 2>"$T/err")
  assert_eq 0 "$out" "without sub-ids"
  assert_contains "$(cat "$T/err")" "is not mapped"
}

test_file_capabilities_kept() {
  [ "$(id -u)" -eq 0 ] || skip "setcap for the fixture needs root"
  base_image
  # A setcap'd binary in a layer (as ping ships): cap_dac_read_search=ep on a copy of busybox.
  mkdir -p "$T/capl/capbin"
  cp /bin/busybox "$T/capl/capbin/cat"
  python3 -c 'import os, struct, sys
os.setxattr(sys.argv[1], "security.capability", struct.pack("<5I", 0x02000001, 1 << 2, 0, 0, 0))' \
    "$T/capl/capbin/cat" || fail "setxattr"
  tar --xattrs --xattrs-include=security.capability -C "$T/capl" -cf "$T/cap.tar" capbin
  add_layer "$T/base" "$T/cap.tar"
  launcher import "$T/base:latest" --name caps >/dev/null || fail "import failed"
  # uid 1000 gains the capability by exec of that file only, as under docker.
  capeff() {
    launcher run --no-init -u user caps -- "$1" /proc/self/status | awk '/^CapEff/ {print $2}'
  }
  assert_eq "0000000000000004" "$(capeff /capbin/cat)" "capability from the file"
  assert_eq "0000000000000000" "$(capeff cat)" "none without it"
}

test_missing_layer_is_a_one_line_error() {
  import_base
  rm -rf "$T/data/launcher/layers/"* # a store damaged behind the launcher's back
  out=$(launcher run --no-init base -- true 2>&1)
  assert_eq 125 $? "exit status"
  assert_eq 1 "$(echo "$out" | wc -l)" "one line: $out"
  assert_contains "$out" "unable to find layer"
}

test_hostile_account_files_do_not_hang_run() {
  base_image
  # /etc/passwd a FIFO, /etc/group a link to /dev/zero: read for -u, they must neither block
  # nor be read forever; they count as empty.
  pytar "$T/acct.tar" 'd("etc"); f("etc/passwd", type=tarfile.FIFOTYPE)
l("etc/group", "/dev/zero")'
  add_layer "$T/base" "$T/acct.tar"
  launcher import "$T/base:latest" --name acct >/dev/null || fail "import failed"
  bounded() {
    as_user timeout -k 2 20 env -u LAUNCHER_CONFIG HOME="$T/home" XDG_DATA_HOME="$T/data" \
      XDG_CONFIG_HOME="$T/config" "$BIN/launcher" run --no-init "$@" 2>&1
  }
  # (Not id(1) inside: it would read the FIFO itself.)
  out=$(bounded -u 0 acct -- sh -c 'echo $HOME')
  assert_eq 0 $? "run finished: $out"
  assert_eq "/root" "$out" "numeric root, root's default HOME"
  # A name needs the passwd file: a one-line error, exit 125, not a hang.
  out=$(bounded -u user acct -- true)
  assert_eq 125 $? "unknown user: $out"
  assert_eq 1 "$(echo "$out" | wc -l)" "one line: $out"
  assert_contains "$out" "no such user"
}

test_whiteouts_honoured() {
  base_image
  pytar "$T/l1.tar" 'd("data"); f("data/old", b"1"); f("data/older", b"2"); f("gone", b"g"); f("stay", b"s")'
  pytar "$T/l2.tar" 'd("data"); f("data/.wh..wh..opq"); f("data/new", b"3"); f(".wh.gone")'
  add_layer "$T/base" "$T/l1.tar"
  add_layer "$T/base" "$T/l2.tar"
  launcher import "$T/base:latest" --name wh >/dev/null || fail "import failed"
  out=$(launcher run --no-init wh -- sh -c 'ls /data; ls / | grep -c "^gone$"; cat /stay')
  assert_eq "new
0
s" "$out" "merged view"
  # rm -r of a merged dir works (without userxattr it fails with EIO).
  launcher run --no-init wh -- sh -c 'rm -r /data && test ! -e /data' || fail "rm -r failed"
}

test_binds_rw_and_ro() {
  import_base
  mkdir -p "$T/rw" "$T/ro"
  echo host >"$T/ro/file"
  own "$T/rw" "$T/ro"
  launcher run --no-init -v "$T/rw:/mnt/rw" -v "$T/ro:/deep/new/ro:ro" base -- \
    sh -c 'echo written >/mnt/rw/out; cat /deep/new/ro/file; echo x >/deep/new/ro/file' \
    >"$T/out" 2>&1
  assert_eq 1 $? "write to a read-only bind fails"
  assert_eq "written" "$(cat "$T/rw/out")" "rw bind"
  assert_contains "$(cat "$T/out")" "host"
  assert_eq "host" "$(cat "$T/ro/file")" "ro source unchanged"
}

test_bind_through_image_symlink() {
  base_image
  pytar "$T/link.tar" 'd("etc/sv"); l("etc/service", "/etc/sv")'
  add_layer "$T/base" "$T/link.tar"
  launcher import "$T/base:latest" --name link >/dev/null || fail "import failed"
  mkdir -p "$T/svc"
  echo run >"$T/svc/run"
  own "$T/svc"
  out=$(launcher run --no-init -v "$T/svc:/etc/service/x" link -- cat /etc/sv/x/run)
  assert_eq "run" "$out" "bind created through the image's symlink"
}

test_env_from_image_and_cli() {
  import_base
  export HOSTVAR=from-host
  out=$(LAUNCHER_ENV="HOSTVAR=from-host" launcher run --no-init -e FOO=bar -e HOSTVAR \
    -e FROM_IMAGE=overridden base -- sh -c 'echo $FOO $HOSTVAR $FROM_IMAGE $PATH $HOME')
  assert_eq "bar from-host overridden /bin /root" "$out"
  out=$(launcher run --no-init base -- sh -c 'echo $FROM_IMAGE')
  assert_eq "yes" "$out" "image Env"
}

test_workdir_from_cli_and_image() {
  base_image
  umoci config --image "$T/base:latest" --config.workingdir /srv/app >/dev/null
  own "$T/base"
  launcher import "$T/base:latest" --name wd >/dev/null || fail "import failed"
  assert_eq "/srv/app" "$(launcher run --no-init wd -- pwd)" "image WorkingDir"
  assert_eq "/tmp/x" "$(launcher run --no-init -w /tmp/x wd -- pwd)" "-w"
}

test_entrypoint_and_cmd() {
  base_image
  umoci config --image "$T/base:latest" --config.entrypoint /bin/echo \
    --clear=config.cmd --config.cmd default-arg >/dev/null
  own "$T/base"
  launcher import "$T/base:latest" --name ep >/dev/null || fail "import failed"
  assert_eq "default-arg" "$(launcher run --no-init ep)" "Entrypoint + Cmd"
  assert_eq "given" "$(launcher run --no-init ep given)" "Entrypoint + CLI args"
}

test_net_none_has_only_lo_up() {
  import_base
  out=$(launcher run --no-init --net none base -- ls /sys/class/net)
  assert_eq "lo" "$out" "interfaces"
  out=$(launcher run --no-init --net none base -- ip -o link show lo)
  assert_contains "$out" "UP"
}

test_hostname() {
  import_base
  assert_eq "box1" "$(launcher run --no-init --hostname box1 base -- hostname)"
  assert_eq "base" "$(launcher run --no-init base -- hostname)" "default: image name"
}

test_dev_and_sys() {
  import_base
  out=$(launcher run --no-init base -- sh -c 'echo x >/dev/null && head -c 4 /dev/urandom | wc -c;
    ls /dev/pts/ptmx >/dev/null && echo pts; touch /sys/x 2>/dev/null || echo sys-ro;
    grep " /sys" /proc/self/mounts | grep -vc " ro,"')
  assert_eq "4
pts
sys-ro
0" "$out" "devices, devpts, read-only /sys (recursively)"
}

test_dev_console_is_the_terminal() {
  import_base
  out=$(launcher run --no-init base -- sh -c 'test -e /dev/console || echo none')
  assert_eq "none" "$out" "without a terminal"
  # On a terminal (script(1) makes one), /dev/console is it: what is written there shows up.
  out=$(as_user script -qec "env -u LAUNCHER_CONFIG HOME='$T/home' XDG_DATA_HOME='$T/data' \
    XDG_CONFIG_HOME='$T/config' '$BIN/launcher' run --no-init base -- \
    sh -c 'test -c /dev/console && echo via-console >/dev/console'" /dev/null </dev/null)
  assert_contains "$out" "via-console"
}

test_resolv_conf_and_hosts_from_host() {
  [ -r /etc/hosts ] || skip "the host has no readable /etc/hosts"
  import_base
  assert_eq "$(cat /etc/hosts)" "$(launcher run --no-init base -- cat /etc/hosts)"
}

test_pivot_root_allows_nested_userns() {
  import_base
  out=$(launcher run --no-init base -- unshare -U -r id -u 2>&1) || fail "nested userns: $out"
  assert_eq 0 "$out"
}

test_signals_reach_pid1() {
  import_base
  for sig in TERM INT HUP QUIT USR1 USR2 WINCH; do
    run_bg "$T/out" --no-init base -- sh -c "trap 'echo got-$sig; exit 3' $sig; echo ready;
      while :; do sleep 0.05; done"
    wait_for grep -q ready "$T/out" || fail "$sig: container not ready: $(cat "$T/out")"
    kill -s "$sig" "$LPID"
    wait "$BGPID"
    rc=$?
    assert_eq 3 $rc "$sig: exit status"
    assert_contains "$(cat "$T/out")" "got-$sig"
    rm -f "$T/lpid"
  done
}

test_rm_keeps_layers_of_a_running_container() {
  import_base
  # The container keeps reading its root while its image is removed under it.
  run_bg "$T/out" --no-init base -- sh -c 'echo ready; while :; do
    cat /bin/busybox >/dev/null && ls /etc >/dev/null || echo GONE; sleep 0.05; done'
  wait_for grep -q ready "$T/out" || fail "container not ready: $(cat "$T/out")"
  out=$(launcher rm base 2>&1) || fail "rm failed: $out"
  assert_contains "$out" "in use by a running container"
  assert_not_contains "$(launcher images)" "base"
  assert_eq 1 "$(ls "$T/data/launcher/layers" | wc -l)" "layer kept"
  sleep 0.3
  assert_not_contains "$(cat "$T/out")" "GONE"
  kill -KILL "$LPID" # its pins go with it; PID 1 (sh, no TERM handler) dies of PDEATHSIG
  wait "$BGPID"
  # Once the container is gone, the next rm collects the kept layer.
  import_base again
  assert_eq 1 "$(ls "$T/data/launcher/layers" | wc -l)" "the same layer reused"
  launcher rm again 2>/dev/null || fail "second rm failed"
  assert_eq 0 "$(ls "$T/data/launcher/layers" | wc -l)" "layer collected"
}

test_container_dies_with_launcher() {
  import_base
  run_bg "$T/out" --no-init base -- sh -c 'echo ready; exec sleep 31337'
  wait_for grep -q ready "$T/out" || fail "container not ready"
  wait_for pgrep -u "$TEST_USER" -f "sleep 31337" >/dev/null || fail "payload not seen"
  kill -KILL "$LPID"
  wait "$BGPID"
  wait_for sh -c "! pgrep -u '$TEST_USER' -f 'sleep 31337' >/dev/null" ||
    fail "payload survived the launcher"
}

test_without_subids_maps_user_alone() {
  import_base
  out=$(LAUNCHER_ENV=LAUNCHER_NO_SUBIDS=1 launcher run --no-init base -- cat /proc/self/uid_map 2>"$T/err")
  assert_eq "0 $(id -u "$TEST_USER") 1" "$(echo $out)" "single-line map"
  assert_contains "$(cat "$T/err")" "mapping the user alone"
  LAUNCHER_ENV=LAUNCHER_NO_SUBIDS=1 launcher run --no-init base -- true 2>"$T/err2" || fail "run"
  assert_eq "" "$(cat "$T/err2")" "said once"
  # Import in that mode works too; owners outside the map become root.
  base_image
  pytar "$T/users.tar" 'f("owned", b"x", uid=1000, gid=1000)'
  add_layer "$T/base" "$T/users.tar"
  LAUNCHER_ENV=LAUNCHER_NO_SUBIDS=1 launcher import "$T/base:latest" --name u1 2>/dev/null >&2 ||
    fail "import without sub-ids failed"
  assert_eq "0" "$(LAUNCHER_ENV=LAUNCHER_NO_SUBIDS=1 launcher run --no-init u1 -- stat -c %u /owned)"
}

test_gpus_option_accepted() {
  import_base
  launcher run --no-init --gpus none base -- true || fail "--gpus none refused"
}

test_cinit_is_pid1() {
  have_cinit || skip "no cinit next to the launcher"
  import_base
  out=$(launcher run base -- sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; echo $$') ||
    fail "run with cinit failed: $out"
  assert_contains "$(echo "$out" | head -1)" "/sbin/cinit -- sh"
  [ "$(echo "$out" | tail -1)" != 1 ] || fail "command is PID 1 despite cinit"
}

test_cinit_exit_codes_and_signal_status() {
  have_cinit || skip "no cinit next to the launcher"
  import_base
  launcher run base -- sh -c 'exit 9' 2>/dev/null
  assert_eq 9 $? "exit code through cinit"
  launcher run base -- sh -c 'kill -USR1 $$' 2>/dev/null
  assert_eq 138 $? "128+SIGUSR1"
}

test_cinit_reaps_zombies() {
  have_cinit || skip "no cinit next to the launcher"
  import_base
  # The inner sh exits at once, orphaning two sleeps. The outer one waits (10 s at most)
  # until they have exited and no zombie is left: one that cinit never reaps stays.
  out=$(launcher run base -- sh -c 'sh -c "sleep 0.3 & sleep 0.3 &"; i=0
    while [ $i -lt 100 ] && ps -o stat,args | grep -q -e "[s]leep 0\.3" -e "^Z"; do
      sleep 0.1; i=$((i + 1)); done
    ps -o stat,comm' 2>&1)
  assert_not_contains "$(echo "$out" | awk '$1 ~ /^Z/')" "sleep" "zombies"
}

test_cinit_runs_as_the_image_user() {
  have_cinit || skip "no cinit next to the launcher"
  import_user_image
  # As docker runs PID 1 as USER: cinit and the command under it.
  assert_eq "1000 1000" "$(launcher run withuser -- sh -c 'echo $(id -u) $(stat -c %u /proc/1)' \
    2>/dev/null)" "cinit and the command"
}

test_cinit_forwards_term() {
  have_cinit || skip "no cinit next to the launcher"
  import_base
  run_bg "$T/out" base -- sh -c "trap 'echo got-term; exit 4' TERM; echo ready;
    while :; do sleep 0.05; done"
  # -x: cinit's own "*** Running sh -c ... echo ready ..." line also holds the word, and it
  # comes before sh has set its trap; a TERM sent then kills sh (143), not the trap (4).
  wait_for grep -qx ready "$T/out" || fail "container not ready: $(cat "$T/out")"
  kill -TERM "$LPID"
  wait "$BGPID"
  assert_eq 4 $? "exit status after TERM"
  assert_contains "$(cat "$T/out")" "got-term"
}

test_fresh_writable_layer_per_run() {
  import_base
  launcher run --no-init base -- sh -c 'echo first >/written; rm /bin/true' || fail "first run"
  out=$(launcher run --no-init base -- sh -c 'ls /written /bin/true 2>&1')
  assert_eq "ls: /written: No such file or directory
/bin/true" "$out" "the second run sees the image, not the first run's changes"
  # The image's layer itself is untouched.
  l=$T/data/launcher/layers/$(ls "$T/data/launcher/layers")
  [ -L "$l/bin/true" ] && [ ! -e "$l/written" ] || fail "the layer was changed"
}

test_cinit_container_dies_with_launcher() {
  have_cinit || skip "no cinit next to the launcher"
  import_base
  run_bg "$T/out" base -- sh -c 'echo ready; exec sleep 31338'
  wait_for grep -qx ready "$T/out" || fail "container not ready: $(cat "$T/out")"
  wait_for pgrep -u "$TEST_USER" -f "sleep 31338" >/dev/null || fail "payload not seen"
  # cinit is PID 1 there, the payload its child: both must go with the launcher.
  init=$(pgrep -u "$TEST_USER" -f -n "^/sbin/cinit -- sh") || fail "no cinit: $(ps -u "$TEST_USER" -o pid,args)"
  kill -KILL "$LPID"
  wait "$BGPID"
  wait_for sh -c "! pgrep -u '$TEST_USER' -f 'sleep 31338' >/dev/null" ||
    { kill -KILL "$init"; fail "payload survived the launcher"; }
  wait_for eval '! kill -0 "$init" 2>/dev/null' || { kill -KILL "$init"; fail "cinit survived the launcher"; }
}

# The configuration: /etc/launcher/launcher.ini, then ~/.config/launcher/launcher.ini (the
# later file's data_root wins, binds add up); LAUNCHER_CONFIG=FILE reads that file alone.
# The binds of the files are applied at `launcher run`, as -v would be.
test_config_files_order_and_launcher_config() {
  base_image
  local d
  for d in b1 b2 b3; do mkdir -p "$T/$d" && echo "$d" >"$T/$d/f"; done
  own "$T/b1" "$T/b2" "$T/b3"
  put launcher/launcher.ini "[launcher]
data_root = $T/sysroot
bind = $T/b1:/b1:ro
"
  mkdir -p "$T/config/launcher"
  printf '[launcher]\ndata_root = %s/userroot\nbind = %s/b2:/b2\n' "$T" "$T" \
    >"$T/config/launcher/launcher.ini"
  printf '[launcher]\ndata_root = %s/onlyroot\nbind = %s/b3:/b3\n' "$T" "$T" >"$T/only.ini"
  own "$T/config" "$T/only.ini"
  L=$(launcher_cmd)
  show='for d in b1 b2 b3; do cat /$d/f 2>/dev/null || echo no-$d; done; [ ! -d /b1 ] || echo x 2>/dev/null >/b1/f || echo b1-ro'
  out=$(host_ns sh -c "$L import $T/base:latest --name base >/dev/null && ls $T/userroot/images &&
    $L run --no-init base -- sh -c '$show'" 2>&1) || fail "both files: $out"
  assert_eq "base.json
b1
b2
no-b3
b1-ro" "$out" "both files: the user's data_root, the binds of both"
  [ ! -e "$T/sysroot" ] || fail "the system file's data_root was used despite the user's"
  rm "$T/config/launcher/launcher.ini"
  out=$(host_ns sh -c "$L import $T/base:latest --name base >/dev/null && ls $T/sysroot/images &&
    $L run --no-init base -- sh -c '$show'" 2>&1) || fail "system file alone: $out"
  assert_eq "base.json
b1
no-b2
no-b3
b1-ro" "$out" "the system file alone"
  L=$(LAUNCHER_ENV="LAUNCHER_CONFIG=$T/only.ini" launcher_cmd)
  out=$(host_ns sh -c "$L import $T/base:latest --name base >/dev/null && ls $T/onlyroot/images &&
    $L run --no-init base -- sh -c '$show'" 2>&1) || fail "LAUNCHER_CONFIG: $out"
  assert_eq "base.json
no-b1
no-b2
b3" "$out" "LAUNCHER_CONFIG alone"
}

# A data root on NFS cannot hold overlay layers: the launcher says so and uses local disk
# (/var/tmp/launcher-UID). There is no NFS server here: an LD_PRELOAD shim makes statfs(2)
# report NFS's magic for paths under $T/nfs, which is all the launcher looks at.
# A data root that cannot hold overlay layers (NFS, CIFS, Lustre, FUSE, overlayfs...: the
# launcher reads the filesystem type with statfs) is replaced by local disk. No NFS server is
# at hand, and the launcher is static (no LD_PRELOAD), so the unsuitable filesystem here is a
# real overlayfs mount, which takes the same path as NFS (unit tests cover the magic numbers).
test_data_root_on_unsuitable_fs_falls_back_to_local_disk() {
  base_image
  mkdir -p "$T/nfs" "$T/ovl/lower" "$T/ovl/upper" "$T/ovl/work" "$T/config/launcher"
  printf '[launcher]\ndata_root = %s/nfs/launcher\n' "$T" >"$T/config/launcher/launcher.ini"
  own "$T/nfs" "$T/config" "$T/ovl/upper"
  mnt="mount -t overlay overlay -o lowerdir=$T/ovl/lower,upperdir=$T/ovl/upper,workdir=$T/ovl/work $T/nfs"
  local_root=/var/tmp/launcher-$(id -u "$TEST_USER")
  L=$(launcher_cmd)
  out=$(host_ns sh -c "$mnt && $L import $T/base:latest --name base && ls $local_root/images &&
    $L run --no-init base -- echo ran && ls -A $T/nfs" 2>&1) || fail "on overlayfs: $out"
  assert_eq "launcher: warning: '$T/nfs/launcher' cannot hold overlay layers (a network, FUSE or overlay filesystem): using '$local_root'
base
base.json
ran" "$out" "on overlayfs"
  [ -z "$(ls -A "$T/ovl/upper")" ] || fail "the overlayfs data root was used: $(ls -R "$T/ovl/upper")"
  # The same config on a plain directory: the data root is used as configured.
  L=$(launcher_cmd)
  out=$(host_ns sh -c "$L import $T/base:latest --name base && ls $T/nfs/launcher/images" 2>&1) ||
    fail "local: $out"
  assert_eq "base
base.json" "$out" "not on NFS"
}

test_run_path_imports_once_and_again_when_replaced() {
  base_image
  (cd "$T" && tar -cf base.tar -C base .) && own "$T/base.tar"
  local out names
  out=$(launcher run --no-init "$T/base.tar" -- cat /etc/passwd) || fail "run of the archive failed: $out"
  assert_contains "$out" "user:x:1000"
  names=$(launcher images | grep -c '^local/')
  assert_eq 1 "$names" "images after the first run"
  launcher run --no-init "$T/base.tar" -- true || fail "second run failed"
  assert_eq 1 "$(launcher images | grep -c '^local/')" "images after the second run (reused)"
  # The archive rebuilt at the same path, with one more file: a new image, not the old one.
  mkdir -p "$T/extra/etc" && echo new >"$T/extra/etc/marker"
  (cd "$T/extra" && tar -cf "$T/layer.tar" etc/marker) && add_layer "$T/base" "$T/layer.tar"
  (cd "$T" && rm base.tar && tar -cf base.tar -C base .) && own "$T/base.tar"
  out=$(launcher run --no-init "$T/base.tar" -- cat /etc/marker) || fail "run of the new archive failed: $out"
  assert_eq new "$out" "the replaced archive's file"
  assert_eq 2 "$(launcher images | grep -c '^local/')" "images after the archive was replaced"
}
