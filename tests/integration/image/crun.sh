# cinit as PID 1 of the image under a real OCI runtime (crun, as root): boot, services up,
# SIGTERM takes them down cleanly with their finish scripts, and the exit code comes back.
# shellcheck shell=bash
source tests/integration/image/common.bash
MODES="root"

test_services_run_and_stop_cleanly_on_term() {
  cached_image
  make_bundle '["/sbin/cinit"]'
  start_container "cinit-img-$$-$RANDOM"
  wait_for service_up syslog || fail "syslog not up: $(cat "$T/err")"
  wait_for service_up cron || fail "cron not up: $(cat "$T/err")"
  # Startup scripts ran before the services, and their variable reached the env dumps.
  assert_contains "$(cat "$T/err")" "*** Running /etc/my_init.d/10_log_dirs..."
  assert_contains "$(cat "$T/out")" "20_boot_env: booted at"
  env_sh=$(crun_ exec "$CID" cat /etc/container_environment.sh)
  assert_contains "$env_sh" "export CONTAINER_BOOTED_AT="
  assert_contains "$env_sh" "export IMAGE_NAME=cinit-demo"
  assert_eq "640 docker_env" "$(crun_ exec "$CID" stat -c '%a %G' /etc/container_environment.sh)" \
    ".sh dump mode and group"
  # syslog works end to end: logger -> /dev/log -> syslogd -> log/run -> the log file.
  crun_ exec "$CID" logger -t imagetest "hello from the test" || fail "logger failed"
  wait_for sh -c "grep -q 'imagetest: hello from the test' '$T/bundle/rootfs/var/log/syslog/current'" ||
    fail "message not in /var/log/syslog/current"
  # The one process tree: cinit is PID 1, the supervisor its child.
  ps_out=$(crun_ exec "$CID" ps -o pid,comm)
  assert_contains "$ps_out" "    1 cinit"

  crun_ kill "$CID" TERM || fail "crun kill failed"
  wait_exit
  assert_eq 0 "$RC" "exit status after SIGTERM"
  err=$(cat "$T/err")
  assert_contains "$err" "syslog: finished (exit -1, status 15)"
  assert_contains "$err" "cron: finished (exit -1, status 15)"
  assert_contains "$err" "pre_shutdown: stopping services"
  assert_contains "$err" "post_shutdown: services stopped, goodbye"
  # Order: pre-shutdown, then the services' finish scripts, then post-shutdown.
  order=$(grep -nE 'pre_shutdown:|syslog: finished|post_shutdown:' "$T/err" | cut -d: -f2- |
    cut -c1-12 | tr '\n' '|')
  assert_eq "pre_shutdown|syslog: fini|post_shutdow|" "$order" "shutdown order"
}

test_one_shot_command_exit_code() {
  cached_image
  make_bundle '["/sbin/cinit","--","/bin/sh","-c","echo one-shot ran as $(id -u); exit 3"]'
  start_container "cinit-img-$$-$RANDOM"
  wait_exit
  assert_eq 3 "$RC" "exit status of crun run"
  assert_contains "$(cat "$T/out")" "one-shot ran as 0"
  # The services were started for the command and stopped after it.
  assert_contains "$(cat "$T/err")" "syslog: finished"
}

test_setuser_in_the_image() {
  cached_image
  make_bundle '["/sbin/cinit","--skip-runit","--","/sbin/setuser","app","/bin/sh","-c","echo \"$(id -u) $(id -G) $USER $HOME\""]'
  start_container "cinit-img-$$-$RANDOM"
  wait_exit
  assert_eq 0 "$RC" "exit status"
  assert_contains "$(cat "$T/out")" "1000 1000 100 8377 app /home/app"
}

test_command_killed_by_signal_reports_128_plus_n() {
  cached_image
  make_bundle '["/sbin/cinit","--skip-runit","--","/bin/sh","-c","kill -KILL $$"]'
  start_container "cinit-img-$$-$RANDOM"
  wait_exit
  assert_eq 137 "$RC" "exit status"
}
