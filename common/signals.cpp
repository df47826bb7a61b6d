#include "common/signals.hpp"

namespace cinit {

BlockSignals::BlockSignals(const sigset_t& set) { (void)sigprocmask(SIG_BLOCK, &set, &old_); }
BlockSignals::~BlockSignals() { (void)sigprocmask(SIG_SETMASK, &old_, nullptr); }

} // namespace cinit
