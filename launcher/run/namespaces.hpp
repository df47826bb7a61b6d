// Starting a child in a new user namespace (plus any other namespaces in the same clone, so
// that they are owned by it), mapped before it runs a single step as root.
#pragma once

#include "launcher/run/idmap.hpp"

#include <functional>
#include <sys/types.h>

namespace cinit::launcher {

// clone(CLONE_NEWUSER | extra_flags) with fork semantics. The child waits until the parent
// has written the id maps, becomes 0:0, arms PR_SET_PDEATHSIG(SIGKILL), runs `body` and
// _exits with its result (125 if it throws: the message is printed first). The parent
// returns the child's pid once it is released; on a map failure it kills the child and
// throws. Only call from a single-threaded process.
pid_t spawn_in_userns(int extra_flags, const IdMapPlan& plan, const std::function<int()>& body);

// spawn_in_userns(0, …) and wait: for store work that needs the mapped ids (unpacking owners,
// removing files owned by sub-ids). Returns the shell-style status.
int run_in_userns(const IdMapPlan& plan, const std::function<int()>& body);

// Waits for `pid`; returns the code, or 128+N if signal N killed it.
int wait_child(pid_t pid);

} // namespace cinit::launcher
