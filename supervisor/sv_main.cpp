// `sv [-v] [-w SEC] COMMAND SERVICE...`
#include "supervisor/sv.hpp"

int main(int argc, char** argv) { return cinit::supervisor::sv_main(argc, argv); }
