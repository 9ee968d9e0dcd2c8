#!/usr/bin/env bash
# The emulator's own codec and SigV4 verifier against the vectors of
# tests/vectors/channel and the StartSession signature (proxy/aws/AWS-APIS.md
# "Signing vectors") and tests/vectors/eice: tests/emulator/test_agentmsg.py.  Fails if python3 is
# missing or any vector fails.
set -u
cd "$(dirname "$0")/../.." || exit 2

out=$(/usr/bin/python3 tests/emulator/test_agentmsg.py -v 2>&1)
rc=$?
echo "$out"
n=$(echo "$out" | sed -n 's/^Ran \([0-9]*\) tests.*/\1/p')
if [ $rc -ne 0 ] || [ -z "$n" ] || ! echo "$out" | grep -qx OK; then
	echo "emulator vectors FAILED (exit $rc)"
	exit 1
fi
echo "#> $n emulator codec/SigV4 vector tests passed (V1-V7, T1, StartSession SigV4, EICE presign)"
