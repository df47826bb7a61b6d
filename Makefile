# cinit — one GNU Makefile, no configure, no recursion into subdirectories.
#   make | make test | make demo | make image | make bench | make asan | make fuzz
#   make install DESTDIR=... PREFIX=... | make clean | make format-check | make tidy

CXX      ?= g++
CLANGXX  ?= clang++
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    ?= build
WERROR   ?= 1
FUZZ_TIME ?= 30
SANITIZE ?= 0
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)

WARNINGS := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-qual -Wformat=2 -Wimplicit-fallthrough \
  -Wmissing-declarations -Wswitch-enum
ifeq ($(WERROR),1)
WARNINGS += -Werror
endif

ifeq ($(SANITIZE),1)
# -Wmaybe-uninitialized is unreliable under the sanitizers (GCC's manual says so): at -O1
# it flags std::function inside libstdc++'s <regex>, which Catch2 includes.
OPT      := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -Wno-maybe-uninitialized
STATIC   :=
SANLD    := -fsanitize=address,undefined
else
OPT      := -O2 -g -D_FORTIFY_SOURCE=2 -ffunction-sections -fdata-sections
STATIC   := -static -Wl,--fatal-warnings -Wl,--gc-sections
# PID 1 stays resident in every container: its resident size is roughly its text size (the
# kernel maps text 64 KiB around each fault), so the static programs' own code is built for
# size. Their hot paths are system calls, not loops.
SIZE_OPT := -Os
SANLD    :=
endif

CPPFLAGS += -I. -MMD -MP
CXXFLAGS += -std=c++20 $(OPT) $(WARNINGS) -fstack-protector-strong
LDFLAGS  += -Wl,-z,relro,-z,now $(SANLD)

OBJ := $(BUILD)/obj
BIN := $(BUILD)/bin
LIB := $(BUILD)/lib

obj = $(patsubst %.cpp,$(OBJ)/%.o,$(1))

COMMON_SRC   := $(wildcard common/*.cpp)
SUPLIB_SRC   := $(filter-out supervisor/main.cpp supervisor/sv_main.cpp,$(wildcard supervisor/*.cpp))
INITLIB_SRC  := $(filter-out init/main.cpp,$(wildcard init/*.cpp))
LAUNCHLIB_SRC := $(filter-out launcher/main.cpp,$(wildcard launcher/*.cpp launcher/*/*.cpp))
UNIT_SRC     := $(wildcard tests/unit/main.cpp tests/unit/*/*_test.cpp)

LIBCOMMON := $(LIB)/libcommon.a
# The launcher links its libraries statically but glibc dynamically: getpwuid must reach the
# site's NSS (LDAP users on clusters). A dynamic libarchive drags 17 libraries (libxml2, ICU,
# nettle...) into every `launcher run`, ~6 ms of loading here for code only `import` uses;
# static, with --gc-sections, only the tar reader and its four filters come along.
# Sanitizer and fuzz builds keep everything dynamic.
LAUNCHER_DYNLIBS := -larchive -linih -lboost_filesystem
ifeq ($(SANITIZE),1)
LAUNCHER_LIBS := $(LAUNCHER_DYNLIBS)
else
LAUNCHER_LIBS := -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,-Bstatic -larchive \
  -lacl -lzstd -llzma -lbz2 -lz -linih -lboost_filesystem -Wl,-Bdynamic
endif

PROGRAMS := $(BIN)/cinit $(BIN)/setuser $(BIN)/envdir
ifneq ($(wildcard supervisor/main.cpp),)
PROGRAMS += $(BIN)/supervisor $(BIN)/sv
INIT_DEFS := -DCINIT_HAVE_SUPERVISOR=1
endif
ifneq ($(wildcard launcher/main.cpp),)
PROGRAMS += $(BIN)/launcher
endif

.PHONY: all deps test unit integration asan fuzz bench demo image install clean format-check tidy
all: $(PROGRAMS)

deps:
	@scripts/deps.sh

$(OBJ)/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

$(OBJ)/init/%.o: CPPFLAGS += $(INIT_DEFS)
$(OBJ)/init/%.o $(OBJ)/supervisor/%.o $(OBJ)/setuser/%.o $(OBJ)/envdir/%.o: CXXFLAGS += $(SIZE_OPT)

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BIN)/cinit: $(call obj,$(wildcard init/*.cpp) $(SUPLIB_SRC)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(STATIC) $(LDFLAGS) -o $@ $^

$(BIN)/supervisor: $(call obj,supervisor/main.cpp $(SUPLIB_SRC)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(STATIC) $(LDFLAGS) -o $@ $^

$(BIN)/sv: $(call obj,supervisor/sv_main.cpp $(SUPLIB_SRC)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(STATIC) $(LDFLAGS) -o $@ $^

$(BIN)/setuser: $(call obj,$(wildcard setuser/*.cpp)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(STATIC) $(LDFLAGS) -o $@ $^

$(BIN)/envdir: $(call obj,$(wildcard envdir/*.cpp)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(STATIC) $(LDFLAGS) -o $@ $^

$(OBJ)/launcher/%.o: CPPFLAGS += -DBOOST_ALLOW_DEPRECATED_HEADERS
$(BIN)/launcher: $(call obj,launcher/main.cpp $(LAUNCHLIB_SRC)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LAUNCHER_LIBS)

# Unit tests link the real objects of every library part (not the programs' main.cpp).
$(OBJ)/tests/%.o: CPPFLAGS += -isystem /usr/include/catch2 -DBOOST_ALLOW_DEPRECATED_HEADERS
$(BIN)/unit_tests: $(call obj,$(UNIT_SRC) $(SUPLIB_SRC) $(INITLIB_SRC) $(LAUNCHLIB_SRC)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LAUNCHER_LIBS)

# Small programs the integration tests run inside namespaces (dynamic is fine there).
TEST_HELPERS := $(patsubst tests/helpers/%.cpp,$(BUILD)/test-helpers/%,$(wildcard tests/helpers/*.cpp))
$(BUILD)/test-helpers/%: tests/helpers/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $<

# `make test`: dependencies (apt, test user), build, unit + integration; last line
# "N passed, N failed, N skipped" (CINIT_REQUIRE_ALL=1: a skipped case fails the run).
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all $(BIN)/unit_tests $(TEST_HELPERS)
	@BUILD=$(BUILD) tests/run.sh

unit: all $(BIN)/unit_tests
	@BUILD=$(BUILD) tests/run.sh unit

integration: all $(TEST_HELPERS)
	@BUILD=$(BUILD) tests/run.sh integration

# Sanitizers: dynamic (g++ rejects -static with ASan), own build tree, same tests, except the
# cases that run cinit inside an image: a dynamic, sanitized cinit cannot start in an image
# that has no libasan (those cases run in `make test` with the static cinit).
ASAN_EXCLUDE := ^image/|^launcher/run/cinit_|^launcher/gpu/video_group
asan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/asan SANITIZE=1 all build/asan/bin/unit_tests \
	  $(patsubst $(BUILD)/%,build/asan/%,$(TEST_HELPERS))
	@BUILD=build/asan ASAN_OPTIONS=detect_leaks=0 TEST_EXCLUDE="$(ASAN_EXCLUDE)" tests/run.sh

# libFuzzer targets, one per parser, built with clang against the real sources.
FUZZ_SRC := $(wildcard tests/fuzz/*_fuzz.cpp)
FUZZ_BIN := $(patsubst tests/fuzz/%_fuzz.cpp,$(BUILD)/fuzz/%_fuzz,$(FUZZ_SRC))
FUZZ_OBJ := $(BUILD)/fuzz/obj
FUZZ_CXXFLAGS := -std=c++20 -g -O1 -I. -MMD -MP -DBOOST_ALLOW_DEPRECATED_HEADERS
FUZZ_LIBOBJ := $(patsubst %.cpp,$(FUZZ_OBJ)/%.o,$(COMMON_SRC) $(SUPLIB_SRC) $(LAUNCHLIB_SRC))
$(FUZZ_OBJ)/%.o: %.cpp
	@mkdir -p $(@D)
	$(CLANGXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(BUILD)/fuzz/%_fuzz: $(FUZZ_OBJ)/tests/fuzz/%_fuzz.o $(FUZZ_LIBOBJ)
	$(CLANGXX) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LAUNCHER_DYNLIBS)
fuzz: deps $(FUZZ_BIN)
	@FUZZ_TIME=$(FUZZ_TIME) BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_BIN)

bench: deps all
	@BUILD=$(BUILD) bench/run.sh

image: deps all
	@BUILD=$(BUILD) image/build.sh

demo: deps all
	@BUILD=$(BUILD) scripts/demo.sh

install: all
	for p in $(notdir $(PROGRAMS)); do install -D -m 0755 $(BIN)/$$p $(DESTDIR)$(PREFIX)/bin/$$p; done

clean:
	rm -rf build

SOURCES := $(shell find common init supervisor setuser envdir launcher tests -name '*.[ch]pp' 2>/dev/null)
format-check:
	clang-format --dry-run --Werror $(SOURCES)

tidy:
	clang-tidy $(filter %.cpp,$(SOURCES)) -- -std=c++20 -I. -isystem /usr/include/catch2

# Keep intermediate objects (fuzz objects are otherwise deleted after each link).
.SECONDARY:

-include $(shell find $(BUILD)/obj $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
