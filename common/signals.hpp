// Signal plumbing shared by cinit, the supervisor and the tools: the set of signals an init
// handles, and how children get their signal state back.
#pragma once

#include <signal.h>

namespace cinit {

// The signals an init (and the launcher, for its container's PID 1) forwards to its main
// command as themselves: every signal but those it cannot catch (KILL, STOP), those the
// kernel raises for the process's own faults or writes (SEGV, BUS, ILL, FPE, TRAP, SYS,
// ABRT, PIPE, XFSZ), its own CHLD, and the terminal's job control (TSTP, TTIN, TTOU). As tini
// does: a signal left at its default action would kill a non-PID-1 init (ALRM, IO, PWR...),
// and one only the command understands (CONT from Slurm, RT signals) must reach it.
void forwarded_signals(sigset_t& set);

// Blocks `set` for the calling thread and restores the previous mask on destruction.
class BlockSignals {
public:
  explicit BlockSignals(const sigset_t& set);
  ~BlockSignals();
  BlockSignals(const BlockSignals&) = delete;
  BlockSignals& operator=(const BlockSignals&) = delete;
  const sigset_t& previous() const { return old_; }

private:
  sigset_t old_{};
};

} // namespace cinit
