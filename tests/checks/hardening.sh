#!/usr/bin/env bash
# The release binary carries the Makefile's hardening, read from the binary
# itself: PIE, full RELRO, no executable stack, the stack protector, and,
# where the compiler has them, _FORTIFY_SOURCE=3 and -fcf-protection.
#
# - -fcf-protection: main and log_msg begin with endbr64 (an IBT landing
#   pad), and every compilation unit's DW_AT_producer names the option.
#   The ELF property "x86 feature: IBT, SHSTK" is reported, not required:
#   the linker keeps it only when every object has it, and Debian 12's
#   crt1.o and crti.o do not.
# - _FORTIFY_SOURCE: __*_chk imports; level 3 (sizes known only at run
#   time, __builtin_dynamic_object_size) adds checked calls that level 2
#   cannot make in this program: __strcat_chk, __read_chk, __memset_chk.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${SSM_PROXY_REL:-./ssm-proxy}
[ -x "$B" ] || { echo "$B not built (make)"; exit 1; }
fail=0
need() {	# description command...
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok   $d"; else echo "FAIL $d"; fail=1; fi
}
hdr=$(readelf -lhd "$B")
need "PIE (ELF type DYN)" grep -q 'Type:.*DYN' <<<"$hdr"
need "full RELRO (GNU_RELRO, BIND_NOW)" eval \
    'grep -q GNU_RELRO <<<"$hdr" && grep -Eq "FLAGS.*BIND_NOW|FLAGS_1.*NOW" <<<"$hdr"'
need "no executable stack" eval \
    '[ "$(grep -A1 GNU_STACK <<<"$hdr" | grep -c RWE)" = 0 ]'
imports=$(nm -D --undefined-only "$B" | awk '{ print $2 }' | sed 's/@.*//')
need "stack protector (__stack_chk_fail)" grep -qx __stack_chk_fail <<<"$imports"
need "_FORTIFY_SOURCE: __*_chk imports" eval \
    'grep -v __stack_chk_fail <<<"$imports" | grep -Eq "^__.*_chk$"'
if printf '#include <string.h>\nint x;\n' | cc -O2 -Werror -U_FORTIFY_SOURCE \
    -D_FORTIFY_SOURCE=3 -x c -c -o /dev/null - 2>/dev/null; then
	need "_FORTIFY_SOURCE=3: run-time-size checks (__strcat_chk, __read_chk, __memset_chk)" \
	    grep -Eqx '__(strcat|read|memset)_chk' <<<"$imports"
fi
producers=$(readelf --debug-dump=info "$B" 2>/dev/null |
    grep -o 'DW_AT_producer.*' | sort -u)
need "stack clash protection in every unit" eval \
    '[ -n "$producers" ] && ! grep -v -- -fstack-clash-protection <<<"$producers"'
if [ "$(uname -m)" = x86_64 ] &&
    echo 'int x;' | cc -fcf-protection -Werror -x c -c -o /dev/null - 2>/dev/null
then
	need "-fcf-protection in every unit" eval \
	    '! grep -v -- -fcf-protection <<<"$producers"'
	for f in main log_msg; do
		need "  $f begins with endbr64" eval "objdump -d \
		    --no-show-raw-insn --disassemble=$f \"$B\" | \
		    grep -A1 '<$f>:' | grep -q endbr64"
	done
	if readelf -n "$B" | grep -q 'x86 feature:.*IBT'; then
		echo "     ELF property: $(readelf -n "$B" | grep -o 'x86 feature:.*')"
	else
		echo "     (no IBT/SHSTK ELF property: the C runtime's objects lack it)"
	fi
fi
[ "$fail" = 0 ] || exit 1
echo "#> hardening present in $B (PIE, RELRO, NX stack, SSP, fortify, CET code)"
