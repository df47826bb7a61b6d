// `supervisor [DIR]`: the service supervisor as a program of its own.
#include "supervisor/supervisor.hpp"

int main(int argc, char** argv) { return cinit::supervisor::supervisor_main(argc, argv); }
