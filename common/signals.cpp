#include "common/signals.hpp"

#include <initializer_list>

namespace cinit {

void forwarded_signals(sigset_t& set) {
  (void)sigfillset(&set); // glibc leaves out the two RT signals it keeps for itself
  for (const int s : {SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT,
                      SIGPIPE, SIGXFSZ, SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU})
    (void)sigdelset(&set, s);
}

BlockSignals::BlockSignals(const sigset_t& set) {
  (void)sigprocmask(SIG_BLOCK, &set, &old_);
}
BlockSignals::~BlockSignals() {
  (void)sigprocmask(SIG_SETMASK, &old_, nullptr);
}

} // namespace cinit
