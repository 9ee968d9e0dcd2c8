#!/bin/sh
# sshd AuthorizedKeysCommand of the emulator: the keys pushed with
# SendSSHPublicKey for OS user $2 that are still valid in emulator time,
# as EC2 Instance Connect's eic_run_authorized_keys serves them on an
# instance (proxy/aws/AWS-APIS.md "SendSSHPublicKey").
#
#   eic-authorized-keys.sh KEYDIR USER
#
# KEYDIR/users/USER: lines "<expiry, epoch seconds of emulator time> <key>"
# KEYDIR/clock:      emulator clock minus the real clock, seconds
# The emulator copies this script into its state directory (mode 0755).
set -u
f="$1/users/$2"
[ -f "$f" ] || exit 0
off=$(cat "$1/clock" 2>/dev/null) || off=0
exec awk -v now="$(date +%s)" -v off="${off:-0}" \
    '$1 + 0 > now + off { sub(/^[^ ]+ /, ""); print }' "$f"
