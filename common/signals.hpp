// Signal plumbing shared by cinit, the supervisor and the tools: the set of signals an init
// handles, and how children get their signal state back.
#pragma once

#include <signal.h>

namespace cinit {

// Signals forwarded from an init to its main command, as themselves.
inline constexpr int forwarded_signals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT,
                                            SIGUSR1, SIGUSR2, SIGWINCH};

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
