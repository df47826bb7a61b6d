// cinit's life: boot, run, shut down. PID 1 never exits while it can still clean up, and no
// exception leaves the loop.
#pragma once

#include "init/boot.hpp"
#include "init/options.hpp"

namespace cinit::init {

struct Timeouts {
  double kill_process = 30;       // KILL_PROCESS_TIMEOUT: CMD, scripts, supervisor
  double kill_all_processes = 30; // KILL_ALL_PROCESSES_TIMEOUT: the final kill-all
};

// Runs the whole life cycle and returns the exit code for main().
int run(const Options& options, const Timeouts& timeouts, const Paths& paths);

} // namespace cinit::init
