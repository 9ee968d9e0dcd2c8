# ssm-proxy: one GNU Makefile, pkg-config for every library.
#
#   make            build ./ssm-proxy
#   make check      install missing packages, build, run every test
#   make demo       ssh, scp and sftp through ssm-proxy against the emulator
#   make bench      speed, CPU and memory against a direct-TCP baseline
#   make fuzz       run each libFuzzer target for FUZZ_SECONDS
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the missing Debian packages only
#   make deb        ssm-proxy_VERSION_ARCH.deb (Debian package), lintian
#   make check-deb  install it in a clean Debian 12 root, ssh through it
#   make check-trixie  build and make check inside a Debian 13 root
#   make PORTABLE=1 the POSIX fallbacks of proxy/compat.c only, POSIX
#                   names only (objects under build/port/)
#   make clean      remove build outputs

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
FUZZ_SECONDS	?= 60
FUZZ_CC		?= clang
CC		?= cc
PKG_CONFIG	?= pkg-config

# The version: here only (--version, the User-Agent, --trace, packages).
VERSION		:= 0.2.0

PKGS		:= libwebsockets openssl libcurl yajl expat
PKG_CFLAGS	:= $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
PROTO_PKGS	:= libcrypto yajl
PROTO_LIBS	:= $(shell $(PKG_CONFIG) --libs $(PROTO_PKGS) 2>/dev/null)

# Warnings are errors in `make check` (and so in CI), not in a user's
# plain `make`, where a newer compiler's new warning must not stop a build.
WERROR		?=
WARN		:= -Wall -Wextra $(WERROR) -Wshadow -Wformat=2 \
		   -Wmissing-prototypes -Wstrict-prototypes -Wpointer-arith \
		   -Wno-unused-parameter
# Options some compilers lack, each kept only if a probe compiles with
# -Werror: _FORTIFY_SOURCE=3 (gcc 12, glibc 2.34; else 2) and
# -fcf-protection (x86 IBT/SHSTK).  Undefined first: some compilers
# predefine _FORTIFY_SOURCE.
cc_probe	= $(shell printf '\043include <string.h>\nint x;\n' | \
		  $(CC) -O2 -Werror $(1) -x c -c -o /dev/null - \
		  >/dev/null 2>&1 && echo ok)
FORTIFY		:= -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=$(if $(call \
		   cc_probe,-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3),3,2)
CF_PROTECT	:= $(if $(call cc_probe,-fcf-protection),-fcf-protection)
CLASH_PROTECT	:= $(if $(call cc_probe,-fstack-clash-protection), \
		   -fstack-clash-protection)
HARDEN		:= -fstack-protector-strong $(FORTIFY) -fPIE \
		   $(CLASH_PROTECT) $(CF_PROTECT)
# The ELF linker's flags, kept only if a program links with them (macOS's
# linker has no -z, and makes PIE by default).
ld_probe	= $(shell printf 'int main(void) { return 0; }\n' | \
		  $(CC) -Werror -fPIE $(1) -x c -o /dev/null - \
		  >/dev/null 2>&1 && echo ok)
ELF_LD		:= -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack
HARDEN_LD	:= $(if $(call ld_probe,$(ELF_LD)),$(ELF_LD))
OPT		?= -O2 -g
SAN		:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
# Feature-test macros: POSIX.1-2008 and the system's own names, which
# the code uses through proxy/compat.c only (and flock, getopt_long).
# glibc and musl show them with _DEFAULT_SOURCE, macOS with
# _DARWIN_C_SOURCE; the BSDs hide theirs (flock, SO_NOSIGPIPE, the u_int
# of libwebsockets' headers) whenever _POSIX_C_SOURCE is set, and show
# everything without it, so there it is not set.  Any other system is
# taken for glibc or musl.
UNAME_S		?= $(shell uname -s 2>/dev/null)
POSIX_DEFS	:= -D_POSIX_C_SOURCE=200809L
SYS_DEFS_Darwin	:= $(POSIX_DEFS) -D_DARWIN_C_SOURCE
SYS_DEFS_FreeBSD :=
SYS_DEFS_DragonFly :=
SYS_DEFS_OpenBSD :=
SYS_DEFS_NetBSD	:=
SYS_DEFS	:= $(if $(filter undefined,$(origin SYS_DEFS_$(UNAME_S))), \
		   $(POSIX_DEFS) -D_DEFAULT_SOURCE,$(SYS_DEFS_$(UNAME_S)))
# PORTABLE=1: every POSIX fallback of proxy/compat.c, even where the
# system has the better call, and the POSIX names only, so that a GNU-ism
# outside compat.c fails to build; in build/port/ (make check runs its
# unit tests and a few integration tests, tests/run).
PORTABLE	?=
# The functions compat.c uses when a program that calls them links.
fn_probe	= $(shell printf '\043include <$(2)>\nint main(void) { $(1); return 0; }\n' | \
		  $(CC) -std=c11 $(SYS_DEFS) -Werror=implicit-function-declaration \
		  -x c -o /dev/null - >/dev/null 2>&1 && echo ok)
COMPAT_DEFS	:= $(if $(PORTABLE),-DCOMPAT_FORCE_POSIX, \
		   $(if $(call fn_probe,closefrom(3),unistd.h),-DHAVE_CLOSEFROM) \
		   $(if $(call fn_probe,(void)arc4random(),stdlib.h),-DHAVE_ARC4RANDOM) \
		   $(if $(call fn_probe,(void)getpeereid(0,0,0),unistd.h),-DHAVE_GETPEEREID))
FEATURES	:= $(if $(PORTABLE),$(POSIX_DEFS),$(SYS_DEFS)) $(COMPAT_DEFS)
BASE_CFLAGS	:= -std=c11 $(FEATURES) \
		   -DSSM_PROXY_VERSION='"$(VERSION)"' \
		   -Iprotocol -Iproxy/aws -Iproxy/ssh -Iproxy \
		   $(WARN) $(PKG_CFLAGS)

PROTO_SRC	:= $(sort $(wildcard protocol/*.c))
# protocol/ < proxy/aws/, proxy/ssh/ < proxy/: a folder's code includes
# headers of its own folder and of the folders below it only
# (tests/checks/layering.sh).
PROXY_SRC	:= $(filter-out proxy/main.c,$(sort $(wildcard proxy/*.c \
		   proxy/aws/*.c proxy/ssh/*.c)))
UNIT_SRC	:= $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC	:= $(sort $(wildcard tests/fuzz/fuzz_*.c))
HDRS		:= $(wildcard protocol/*.h proxy/*.h proxy/aws/*.h proxy/ssh/*.h \
		   tests/unit/*.h)

REL		:= $(if $(PORTABLE),build/port/rel,build/rel)
SANB		:= $(if $(PORTABLE),build/port/san,build/san)
FUZZB		:= build/fuzz

REL_PROTO_OBJ	:= $(PROTO_SRC:%.c=$(REL)/%.o)
REL_PROXY_OBJ	:= $(PROXY_SRC:%.c=$(REL)/%.o)
SAN_PROTO_OBJ	:= $(PROTO_SRC:%.c=$(SANB)/%.o)
SAN_PROXY_OBJ	:= $(PROXY_SRC:%.c=$(SANB)/%.o)
UNIT_BIN	:= $(UNIT_SRC:tests/unit/%.c=$(SANB)/unit/%)
REPLAY_BIN	:= $(FUZZ_SRC:tests/fuzz/%.c=$(SANB)/replay/%)
FUZZ_BIN	:= $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZB)/%)

# Debian packages the build, the tests and the demo need.
DEPS_PKGS	:= gcc make pkg-config libc6-dev libwebsockets-dev libssl-dev \
		   libcurl4-openssl-dev libyajl-dev libexpat1-dev clang libclang-rt-dev \
		   mandoc python3 python3-websockets openssh-client \
		   openssh-server openssl rsync ca-certificates time strace \
		   procps bash-completion zsh golang-go golang-github-xtaci-smux-dev
# What only the tests and the bench need (not `make demo`).
TEST_DEPS_PKGS	:= ansible-core

.PHONY: all check check-run tests port-tests fuzz install uninstall deps \
	clean demo bench deb deb-deps check-deb check-trixie FORCE

# Debian packages `make deb`, `check-deb` and `check-trixie` need (not
# installed by `make check`).
DEB_DEPS_PKGS	:= dpkg-dev binutils lintian mmdebstrap util-linux

# The Debian package: build/deb holds the staged tree, lintian's output
# goes to build/deb/lintian.txt (an error fails the target).
DEB		:= ssm-proxy_$(VERSION)_$(shell dpkg --print-architecture \
		   2>/dev/null || echo unknown).deb

deb:
	@$(MAKE) --no-print-directory deps deb-deps
	@$(MAKE) --no-print-directory ssm-proxy
	@packaging/deb/build.sh $(VERSION) build/deb
	@lintian --tag-display-limit 0 --display-info $(DEB) >build/deb/lintian.txt 2>&1; \
	    rc=$$?; cat build/deb/lintian.txt; \
	    [ $$rc -eq 0 ] || { echo "deb: lintian reports errors"; exit 1; }

# The .deb installed in a clean Debian 12 root, ssh through it, purged.
check-deb: deb
	@tests/deb-install.sh

# The whole suite inside a Debian 13 root (tens of minutes; not in check).
check-trixie: deb-deps
	@tests/check-trixie.sh

deb-deps:
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEB_DEPS_PKGS)"

all: ssm-proxy

# Linked in $(REL) and copied whenever it differs, so that a plain make
# after make PORTABLE=1 (or the other way round) replaces ./ssm-proxy.
ssm-proxy: $(REL)/ssm-proxy FORCE
	@cmp -s $< $@ || cp $< $@

$(REL)/ssm-proxy: $(REL)/proxy/main.o $(REL_PROXY_OBJ) $(REL_PROTO_OBJ)
	$(CC) $(OPT) $(HARDEN) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

FORCE:

# Header dependencies come from the compiler (-MMD -MP, build/**/*.d).
DEPFLAGS	:= -MMD -MP

$(REL)/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) $(OPT) $(HARDEN) $(BASE_CFLAGS) $(DEPFLAGS) $(CFLAGS) -c -o $@ $<

$(SANB)/%.o: %.c Makefile
	@mkdir -p $(@D)
	$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) $(DEPFLAGS) $(CFLAGS) -c -o $@ $<

$(SANB)/libprotocol.a: $(SAN_PROTO_OBJ)
	rm -f $@ && ar rcs $@ $^

$(SANB)/libproxy.a: $(SAN_PROXY_OBJ)
	rm -f $@ && ar rcs $@ $^

$(SANB)/unit/%: tests/unit/%.c $(SANB)/libproxy.a $(SANB)/libprotocol.a
	@mkdir -p $(@D)
	$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) $(DEPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< \
	    $(SANB)/libproxy.a $(SANB)/libprotocol.a $(PKG_LIBS)

# Corpus replay: each fuzz target linked with a plain main() that feeds it
# files, so `make check` needs no fuzzer.
$(SANB)/replay/%: tests/fuzz/%.c tests/fuzz/replay.c $(SANB)/libproxy.a $(SANB)/libprotocol.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< tests/fuzz/replay.c \
	    $(SANB)/libproxy.a $(SANB)/libprotocol.a $(PKG_LIBS)

# The program built with the sanitizers, for the integration tests.
$(SANB)/ssm-proxy: $(SANB)/proxy/main.o $(SANB)/libproxy.a $(SANB)/libprotocol.a
	$(CC) -O1 -g $(SAN) $(LDFLAGS) -o $@ $(SANB)/proxy/main.o \
	    $(SANB)/libproxy.a $(SANB)/libprotocol.a $(PKG_LIBS)

# trace-replay: a --trace file's frames through protocol/chan again.
$(SANB)/trace-replay: tests/traces/replay.c $(SANB)/libprotocol.a $(HDRS)
	@mkdir -p $(@D)
	$(CC) -O1 -g $(SAN) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< \
	    $(SANB)/libprotocol.a $(PROTO_LIBS)

tests: ssm-proxy $(SANB)/ssm-proxy $(UNIT_BIN) $(REPLAY_BIN) \
	    $(SANB)/trace-replay build/smuxd

# What tests/run's portable section runs: build/port/san/ssm-proxy and
# build/port/san/unit/test_*.
port-tests:
	@$(MAKE) --no-print-directory PORTABLE=1 build/port/san/ssm-proxy \
	    $(UNIT_SRC:tests/unit/%.c=build/port/san/unit/%)

# The emulator's smux server (tests/emulator/smuxd), from Debian's
# golang-github-xtaci-smux-dev in GOPATH mode: no module download.
build/smuxd: tests/emulator/smuxd/main.go
	@mkdir -p $(@D)
	cd tests/emulator/smuxd && GOPATH=/usr/share/gocode GO111MODULE=off \
	    GOPROXY=off GOFLAGS= GOCACHE=$(CURDIR)/build/gocache \
	    go build -o $(CURDIR)/$@ .

# `check` installs what is missing first, in its own make run, so that the
# pkg-config flags above are read after the libraries exist.
check:
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEPS_PKGS) $(TEST_DEPS_PKGS)"
	@$(MAKE) --no-print-directory -j$$(getconf _NPROCESSORS_ONLN 2>/dev/null \
	    || echo 2) WERROR=-Werror tests
	@$(MAKE) --no-print-directory -j$$(getconf _NPROCESSORS_ONLN 2>/dev/null \
	    || echo 2) WERROR=-Werror port-tests
	@$(MAKE) --no-print-directory WERROR=-Werror check-run

check-run: tests port-tests
	@tests/run

# The emulator, sshd, and ssh, scp and sftp through ./ssm-proxy -v.
demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory ssm-proxy
	@tests/demo.sh

# Throughput, connect time, CPU and memory beside a direct-TCP baseline.
bench:
	@$(MAKE) --no-print-directory deps DEPS_PKGS="$(DEPS_PKGS) $(TEST_DEPS_PKGS)"
	@$(MAKE) --no-print-directory ssm-proxy
	@tests/bench/bench.sh

FUZZ_CFLAGS	:= -O1 -g -fsanitize=fuzzer-no-link,address,undefined \
		   -fno-sanitize-recover=all -fno-omit-frame-pointer \
		   $(BASE_CFLAGS)
FUZZ_LIB_SRC	:= $(PROTO_SRC) $(PROXY_SRC)

$(FUZZB)/%: tests/fuzz/%.c $(FUZZ_LIB_SRC) $(HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB_SRC) \
	    $(PKG_LIBS)

fuzz: $(FUZZ_BIN)
	@set -e; for t in $(FUZZ_BIN); do \
		n=$$(basename $$t); \
		mkdir -p $(FUZZB)/corpus/$$n $(FUZZB)/artifacts/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
		    -artifact_prefix=$(FUZZB)/artifacts/$$n/ \
		    $(FUZZB)/corpus/$$n tests/fuzz/corpus/$$n \
		    > $(FUZZB)/$$n.log 2>&1 || { tail -40 $(FUZZB)/$$n.log; \
		    echo "fuzz: $$n FOUND A PROBLEM"; exit 1; }; \
		grep -E '^stat::(number_of_executed_units|new_units_added)' \
		    $(FUZZB)/$$n.log | tr '\n' ' '; echo; \
	done; echo "fuzz: no findings"

install: ssm-proxy
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 ssm-proxy $(DESTDIR)$(BINDIR)/ssm-proxy
	install -m 0644 man/ssm-proxy.1 $(DESTDIR)$(MANDIR)/man1/ssm-proxy.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ssm-proxy $(DESTDIR)$(MANDIR)/man1/ssm-proxy.1

deps:
	@missing=""; \
	if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "deps: not a Debian system; install the equivalents of:"; \
		echo "  $(DEPS_PKGS)"; exit 0; \
	fi; \
	for p in $(DEPS_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		    grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "deps: installing$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $$missing

clean:
	rm -rf build ssm-proxy ssm-proxy_*.deb

# (Not inside the Debian roots of build/debroot, nor their etc/*.d.)
-include $(shell find build -path build/debroot -prune -o -name '*.d' \
	   -type f -print 2>/dev/null)
