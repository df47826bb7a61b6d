// `sv`: runit's service control tool, same commands, output and exit codes, plus
// `sv status --json` and readiness-aware `-w` waits.
#pragma once

namespace cinit::supervisor {

int sv_main(int argc, char** argv);

} // namespace cinit::supervisor
