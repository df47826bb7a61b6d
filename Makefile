# cinit — one GNU Makefile, no configure, no recursion into subdirectories.
#   make | make test | make chaos | make demo | make image | make bench | make asan | make fuzz
#   make install DESTDIR=... PREFIX=... | make deb | make test-packages
#   make clean | make format-check | make tidy | make bench-readme

CXX      ?= g++
CLANGXX  ?= clang++
PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= /etc
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
LAUNCHLIB_SRC := $(filter-out launcher/main.cpp launcher/registry/curl_static.cpp,\
  $(wildcard launcher/*.cpp launcher/*/*.cpp))
UNIT_SRC     := $(wildcard tests/unit/main.cpp tests/unit/*/*_test.cpp)

LIBCOMMON := $(LIB)/libcommon.a
# The launcher is one static file, like cinit: clusters run older glibcs (RHEL 8: 2.28) than
# the one it is built on. No NSS call links (--fatal-warnings): the host's users come from
# /etc/passwd, then the host's own getent (launcher/getent.cpp). libarchive, static and with
# --gc-sections, brings only the tar reader and its four filters.
# Sanitizer and fuzz builds keep everything dynamic.
# libcurl and OpenSSL (pull): dynamic where everything is (sanitizers, fuzzers); see below for
# the static recipe.
LAUNCHER_CURL_DYNLIBS := -lcurl -lssl -lcrypto
LAUNCHER_DYNLIBS := -larchive -linih -lboost_filesystem $(LAUNCHER_CURL_DYNLIBS)
LAUNCHER_STATICLIBS := -larchive -lacl -lzstd -llzma -lbz2 -lz -linih -lboost_filesystem
ifeq ($(SANITIZE),1)
LAUNCHER_LIBS := $(LAUNCHER_DYNLIBS)
LAUNCHER_LINK := $(LAUNCHER_DYNLIBS)
else
# Unit tests link the same objects dynamically against glibc (Catch2 needs nothing static).
# -lnettle: the dynamic libcurl brings libnettle.so in, and ld then resolves the nettle
# references of libarchive.a (archive_digest.o, later discarded) against it, which it refuses
# unless named.
LAUNCHER_LIBS := -static-libstdc++ -static-libgcc -Wl,--gc-sections -Wl,-Bstatic \
  $(LAUNCHER_STATICLIBS) -Wl,-Bdynamic $(LAUNCHER_CURL_DYNLIBS) -lnettle
LAUNCHER_LINK := $(STATIC) $(LAUNCHER_STATICLIBS)
endif

# libcurl for `launcher pull`, static too: the launcher's link adds $(LAUNCHER_CURL_OBJ) (also
# a prerequisite) and $(LAUNCHER_CURL_LIBS); the unit tests' (dynamic) link adds
# $(LAUNCHER_CURL_DYNLIBS). Debian's libcurl.a is built against GSS-API (no
# static archive), LDAP and RTMP (which drag in SASL and GnuTLS), IDN and PSL: their symbols
# go to one fatal stub (--defsym) or to stand-ins in launcher/registry/curl_static.cpp, whose
# comments say why each is never reached; glibc's NSS calls in libcurl and OpenSSL are
# --wrap'ed to failing stand-ins there. The pull code must: call
# OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG) before curl_global_init; set
# CURLOPT_PROTOCOLS_STR and CURLOPT_REDIR_PROTOCOLS_STR to "https,http"; resolve every host
# (redirect targets and proxies too) with getent_addresses() into CURLOPT_RESOLVE; set
# CURLOPT_CAINFO/CAPATH from find_ca_trust() (ca_bundle() does).
LAUNCHER_CURL_LEFT_OUT := gss_delete_sec_context gss_display_name gss_display_status \
  gss_import_name gss_init_sec_context gss_inquire_context gss_release_buffer gss_release_name \
  gss_unwrap gss_wrap ber_bvfree ber_free ber_memfree ber_sockbuf_add_io ldap_abandon_ext \
  ldap_err2string ldap_free_urldesc ldap_get_attribute_ber ldap_get_dn_ber ldap_get_option \
  ldap_init_fd ldap_memfree ldap_msgfree ldap_msgtype ldap_parse_result \
  ldap_parse_sasl_bind_result ldap_pvt_url_scheme2proto ldap_result ldap_sasl_bind \
  ldap_search_ext ldap_set_option ldap_start_tls ldap_unbind_ext ldap_url_parse RTMP_Alloc \
  RTMP_Close RTMP_Connect1 RTMP_ConnectStream RTMP_Free RTMP_Init RTMP_Read RTMP_SetBufferMS \
  RTMP_SetupURL RTMP_Write
ifeq ($(SANITIZE),1)
LAUNCHER_CURL_OBJ :=
LAUNCHER_CURL_LIBS := $(LAUNCHER_CURL_DYNLIBS)
else
LAUNCHER_CURL_OBJ := $(OBJ)/launcher/registry/curl_static.o
LAUNCHER_CURL_WRAPPED := getaddrinfo freeaddrinfo getnameinfo gethostbyname getpwuid_r dlopen
LAUNCHER_CURL_LIBS := $(foreach f,$(LAUNCHER_CURL_WRAPPED),-Wl,--wrap=$(f)) \
  $(foreach f,$(LAUNCHER_CURL_LEFT_OUT),-Wl,--defsym=$(f)=curl_left_out) \
  -lcurl -lnghttp2 -lssh2 -lssl -lcrypto -lzstd -lbrotlidec -lbrotlicommon -lz
endif

PROGRAMS := $(BIN)/cinit $(BIN)/setuser $(BIN)/envdir
ifneq ($(wildcard supervisor/main.cpp),)
PROGRAMS += $(BIN)/supervisor $(BIN)/sv
INIT_DEFS := -DCINIT_HAVE_SUPERVISOR=1
endif
ifneq ($(wildcard launcher/main.cpp),)
PROGRAMS += $(BIN)/launcher
endif

# The SPANK plugin (`srun --container-image`), built where Debian's libslurm-dev is: its
# objects are position-independent (build/obj/pic/), since libcommon's are not, and it links
# none of libcommon. spank-run, the program a task execs, lies beside it (plugin.cpp says why).
# The plugin runs ../../bin/launcher from its own directory (PREFIX/lib/cinit, build/lib/cinit)
# unless plugstack.conf says `launcher=PATH`.
ifneq ($(wildcard /usr/include/slurm/spank.h),)
SPANK := $(LIB)/cinit/spank_launcher.so $(LIB)/cinit/spank-run
endif
SPANKLIB_SRC := spank/options.cpp

# Man pages: scdoc sources in man/, roff in build/man/.
MAN_SRC := $(wildcard man/*.scd)
MANPAGES := $(patsubst man/%.scd,$(BUILD)/man/%,$(MAN_SRC))

# What users copy and install: build/stripped/PROG, with its debug info in PROG.debug (found
# by gdb through the .gnu_debuglink, or by build id once installed).
STRIPPED := $(patsubst $(BIN)/%,$(BUILD)/stripped/%,$(PROGRAMS))

.PHONY: all deps test unit integration chaos asan fuzz bench demo image install clean format-check tidy \
  man stripped deb test-packages bench-readme
all: $(PROGRAMS) $(MANPAGES) $(STRIPPED) $(SPANK)

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
$(BIN)/launcher: $(call obj,launcher/main.cpp $(LAUNCHLIB_SRC)) $(LAUNCHER_CURL_OBJ) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(LDFLAGS) -o $@ $^ $(LAUNCHER_CURL_LIBS) $(LAUNCHER_LINK)

$(OBJ)/pic/%.o: %.cpp
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -fPIC -c $< -o $@

# Slurm resolves the slurm_* and spank_* calls when it loads the plugin.
$(LIB)/cinit/spank_launcher.so: $(OBJ)/pic/spank/plugin.o $(OBJ)/pic/spank/options.o
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -shared -fPIC $(LDFLAGS) -o $@ $^

$(LIB)/cinit/spank-run: $(call obj,spank/spank_run.cpp $(SPANKLIB_SRC)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) $(STATIC) $(LDFLAGS) -o $@ $^

# Unit tests link the real objects of every library part (not the programs' main.cpp).
$(OBJ)/tests/%.o: CPPFLAGS += -isystem /usr/include/catch2 -DBOOST_ALLOW_DEPRECATED_HEADERS
$(BIN)/unit_tests: $(call obj,$(UNIT_SRC) $(SUPLIB_SRC) $(INITLIB_SRC) $(LAUNCHLIB_SRC) \
  $(SPANKLIB_SRC)) $(LIBCOMMON)
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

# Fault injection (tests/chaos/): CHAOS_LEVEL=short (CI, <= 3 minutes) or full (<= 15). Each
# passing case's Reliability rows go to $(BUILD)/chaos/rows-$(CHAOS_LEVEL).tsv.
CHAOS_LEVEL ?= short
chaos: all $(TEST_HELPERS)
	@mkdir -p $(BUILD)/chaos && rm -f $(BUILD)/chaos/rows-$(CHAOS_LEVEL).tsv
	@BUILD=$(BUILD) CHAOS_LEVEL=$(CHAOS_LEVEL) TEST_TIMEOUT=$${TEST_TIMEOUT:-300} \
	  CHAOS_ROWS=$(abspath $(BUILD))/chaos/rows-$(CHAOS_LEVEL).tsv tests/run.sh chaos

# Sanitizers: dynamic (g++ rejects -static with ASan), own build tree, same tests, except the
# cases that run cinit inside an image (the Slurm cases all do) or the launcher inside a
# Debian 11 root: a dynamic, sanitized program cannot start where there is no libasan (those
# cases run in `make test` with the static programs); the bench scripts' own cases, which
# test no sanitized code; and the SPANK plugin's, since a sanitized plugin cannot load into
# Slurm's unsanitized programs.
ASAN_EXCLUDE := ^image/|^launcher/run/cinit_|^launcher/gpu/video_group|^launcher/distro/run_inside_debian|^bench/|^slurm/
asan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build/asan SANITIZE=1 all build/asan/bin/unit_tests \
	  $(patsubst $(BUILD)/%,build/asan/%,$(TEST_HELPERS))
	@BUILD=build/asan ASAN_OPTIONS=detect_leaks=0 TEST_EXCLUDE="$(ASAN_EXCLUDE)" tests/run.sh

# libFuzzer targets, one per parser, built with clang against the real sources. `make fuzz`
# fuzzes each for FUZZ_TIME seconds; FUZZ_TIME=0 replays the kept corpora once (CI). The
# ten-minute campaign behind tests/fuzz/results/latest.tsv: tests/fuzz/campaign.sh.
FUZZ_SRC := $(wildcard tests/fuzz/*_fuzz.cpp)
FUZZ_BIN := $(patsubst tests/fuzz/%_fuzz.cpp,$(BUILD)/fuzz/%_fuzz,$(FUZZ_SRC))
FUZZ_OBJ := $(BUILD)/fuzz/obj
FUZZ_CXXFLAGS := -std=c++20 -g -O1 -I. -MMD -MP -DBOOST_ALLOW_DEPRECATED_HEADERS
FUZZ_LIBOBJ := $(patsubst %.cpp,$(FUZZ_OBJ)/%.o,$(COMMON_SRC) $(SUPLIB_SRC) $(INITLIB_SRC) \
  envdir/envdir.cpp $(LAUNCHLIB_SRC))
$(FUZZ_OBJ)/init/%.o: FUZZ_CXXFLAGS += $(INIT_DEFS)
$(FUZZ_OBJ)/%.o: %.cpp
	@mkdir -p $(@D)
	$(CLANGXX) $(FUZZ_CXXFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
$(BUILD)/fuzz/%_fuzz: $(FUZZ_OBJ)/tests/fuzz/%_fuzz.o $(FUZZ_LIBOBJ)
	$(CLANGXX) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LAUNCHER_DYNLIBS)
fuzz: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(FUZZ_BIN)
	@FUZZ_TIME=$(FUZZ_TIME) BUILD=$(BUILD) tests/fuzz/run.sh $(FUZZ_BIN)

bench: deps all
	@BUILD=$(BUILD) bench/run.sh

# The README's benchmark tables, from the last full run's bench/results/latest.tsv.
bench-readme:
	@scripts/bench-readme.sh

image: deps all
	@BUILD=$(BUILD) image/build.sh

demo: deps all
	@BUILD=$(BUILD) scripts/demo.sh

man: $(MANPAGES)

$(BUILD)/man/%: man/%.scd
	@mkdir -p $(@D)
	scdoc <$< >$@.tmp && mv $@.tmp $@

stripped: $(STRIPPED)

$(BUILD)/stripped/%: $(BIN)/%
	@mkdir -p $(@D)
	objcopy --only-keep-debug $< $@.debug
	chmod 0644 $@.debug
	objcopy --strip-all --remove-section=.comment --add-gnu-debuglink=$@.debug $< $@.tmp
	mv $@.tmp $@

# make install DESTDIR=... PREFIX=...: the programs an image runs (cinit, supervisor, sv,
# setuser, envdir) in PREFIX/sbin, which with PREFIX=/usr is /sbin on merged-/usr systems
# (my_init images expect /sbin/my_init and /sbin/setuser); the launcher in PREFIX/bin, where
# it finds ../sbin/cinit; the SPANK plugin and spank-run, where built, in PREFIX/lib/cinit.
# Programs are stripped, their debug info goes to PREFIX/lib/debug/.build-id/ where gdb looks
# (the plugin's and spank-run's is not kept). INSTALL_STRIP=0 installs them unstripped (the
# Debian build: dh_strip makes the -dbgsym packages). The example configuration goes
# to SYSCONFDIR/launcher/launcher.ini unless one is there, and to the doc dir.
INSTALL_STRIP ?= 1
install: all
	for p in $(notdir $(PROGRAMS)); do \
	  dir=sbin; [ $$p = launcher ] && dir=bin; \
	  if [ "$(INSTALL_STRIP)" = 1 ]; then \
	    install -D -m 0755 $(BUILD)/stripped/$$p $(DESTDIR)$(PREFIX)/$$dir/$$p || exit 1; \
	    id=$$(readelf -n $(BIN)/$$p | sed -n 's/.*Build ID: *//p'); \
	    [ -n "$$id" ] || { echo "install: no build id in $(BIN)/$$p" >&2; exit 1; }; \
	    install -D -m 0644 $(BUILD)/stripped/$$p.debug \
	      $(DESTDIR)$(PREFIX)/lib/debug/.build-id/$$(echo $$id | cut -c1-2)/$$(echo $$id | cut -c3-).debug || exit 1; \
	  else \
	    install -D -m 0755 $(BIN)/$$p $(DESTDIR)$(PREFIX)/$$dir/$$p || exit 1; \
	  fi; \
	done
	for m in $(notdir $(MANPAGES)); do \
	  install -D -m 0644 $(BUILD)/man/$$m $(DESTDIR)$(PREFIX)/share/man/man$${m##*.}/$$m || exit 1; \
	done
	for f in $(notdir $(SPANK)); do \
	  mode=0755; case $$f in *.so) mode=0644;; esac; \
	  if [ "$(INSTALL_STRIP)" = 1 ]; then strip=-s; else strip=; fi; \
	  install -D $$strip -m $$mode $(LIB)/cinit/$$f $(DESTDIR)$(PREFIX)/lib/cinit/$$f || exit 1; \
	done
	install -D -m 0644 launcher/launcher.ini $(DESTDIR)$(PREFIX)/share/doc/cinit/launcher.ini.example
	[ -e $(DESTDIR)$(SYSCONFDIR)/launcher/launcher.ini ] || \
	  install -D -m 0644 launcher/launcher.ini $(DESTDIR)$(SYSCONFDIR)/launcher/launcher.ini

# make deb: the Debian packages cinit and launcher (plus -dbgsym) in build/deb/. Built from a
# copy of the source (git's tracked and new files; outside git, all but build/) in
# build/deb/src, because dpkg-buildpackage cleans the tree it runs in (make clean) and
# writes its results to the parent directory.
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
	  git ls-files -z --cached --others --exclude-standard | \
	    xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' sh | \
	    tar --null -T - -cf -; \
	else \
	  tar --exclude=./build --exclude=./$(BUILD) -cf - .; \
	fi | tar -xf - -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && DEB_BUILD_OPTIONS="parallel=$(JOBS) nocheck" dpkg-buildpackage -us -uc -b
	rm -rf $(BUILD)/deb/src
	lintian --fail-on error,warning $(BUILD)/deb/*.changes
	@ls $(BUILD)/deb/*.deb

# Installs the packages of build/deb into a clean Debian 12 root and boots from them.
test-packages:
	@BUILD=$(BUILD) tests/packages/run.sh

clean:
	rm -rf build

SOURCES := $(shell find common init supervisor setuser envdir launcher spank tests -name '*.[ch]pp' 2>/dev/null)
format-check:
	clang-format --dry-run --Werror $(SOURCES)

tidy:
	clang-tidy $(filter %.cpp,$(SOURCES)) -- -std=c++20 -I. -isystem /usr/include/catch2

# Keep intermediate objects (fuzz objects are otherwise deleted after each link).
.SECONDARY:

-include $(shell find $(BUILD)/obj $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
