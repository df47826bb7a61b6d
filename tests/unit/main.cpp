// The one Catch2 main shared by every unit test file.
#define CATCH_CONFIG_MAIN
#include <catch.hpp>
