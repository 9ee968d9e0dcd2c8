# The fleet playbook (fleet.yml) through ssm-proxy or over direct TCP ssh,
# with config-examples/ansible.cfg as shipped.  Sourced (bash) by
# tests/integration/256-ansible.sh, 257-ansible-throttled.sh and
# tests/bench/bench.sh, after the emulator's env.sh (EMU_*); the emulator
# must have been started with --set fleet_extra=N, N >= the hosts, so that
# its known_hosts names the fleet (or FLEET_KNOWN_HOSTS=$EMU_KNOWN_HOSTS_ANY).
#
#   fleet_prepare W PROXY       W/bin/ssm-proxy -> PROXY, the 1 MiB payload,
#                               ssh_config (known_hosts: FLEET_KNOWN_HOSTS,
#                               else EMU_KNOWN_HOSTS), W/home (runs' HOME)
#   fleet_inventory W N ssm|direct   W/MODE.ini and W/MODE.hosts
#   fleet_run W MODE FORKS      the playbook (output W/MODE.log), wall
#                               time in FLEET_WALL; ansible's status
#   fleet_check W MODE          every host's recap, fetched file, payload
#   fleet_sockets W             ControlMaster sockets in W/home/.ansible/cp
#   fleet_exit W MODE           `ssh -O exit` for every host's master
#
# Inventory names are node-0001..N.  Through ssm-proxy, odd hosts are
# reached by instance id (i-05...), even ones by Name tag (node-NNNN).
# Direct: 127.0.0.1, one ControlPath per host (ssh's %C would be the same
# for all of them).
FLEET_HOME_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FLEET_CFG=$(cd "$FLEET_HOME_DIR/../.." && pwd)/config-examples/ansible.cfg
FLEET_PLAYBOOK=/usr/bin/ansible-playbook
FLEET_SHA=
FLEET_WALL=

fleet_require() {
	[ -x "$FLEET_PLAYBOOK" ] && return 0
	echo "$FLEET_PLAYBOOK missing (Debian package ansible-core; make deps)"
	return 1
}

fleet_prepare() {	# W PROXY
	local w=$1
	mkdir -p "$w/bin" "$w/home" "$w/ltmp" "$w/rtmp" || return 1
	ln -sf "$2" "$w/bin/ssm-proxy" || return 1
	head -c 1048576 /dev/urandom >"$w/payload.bin" || return 1
	FLEET_SHA=$(sha256sum <"$w/payload.bin" | cut -d' ' -f1)
	# Only what the test needs beside ansible.cfg: no ~/.ssh/config,
	# the emulator's host keys.
	cat >"$w/ssh_config" <<EOC
BatchMode yes
IdentitiesOnly yes
UserKnownHostsFile ${FLEET_KNOWN_HOSTS:-$EMU_KNOWN_HOSTS}
GlobalKnownHostsFile /dev/null
StrictHostKeyChecking yes
LogLevel ERROR
EOC
	# The baseline: the shipped file less its ProxyCommand, nothing else.
	sed 's/ -o ProxyCommand="[^"]*"//' "$FLEET_CFG" >"$w/direct.cfg"
	if grep -q ProxyCommand= "$w/direct.cfg" ||
	    [ "$(diff "$FLEET_CFG" "$w/direct.cfg" | grep -c '^[<>]')" != 2 ]
	then
		echo "fleet_prepare: cannot drop the ProxyCommand of $FLEET_CFG"
		return 1
	fi
}

fleet_host() {	# k ssm|direct -> "name ansible_host"
	local n
	n=$(printf 'node-%04d' "$1")
	if [ "$2" = direct ]; then
		echo "$n 127.0.0.1"
	elif [ $(($1 % 2)) = 1 ]; then
		printf '%s i-05%015x\n' "$n" "$1"
	else
		echo "$n $n"
	fi
}

fleet_inventory() {	# W N MODE
	local w=$1 n=$2 m=$3 k name host
	: >"$w/$m.hosts"
	{
		echo "[fleet]"
		for ((k = 1; k <= n; k++)); do
			read -r name host < <(fleet_host "$k" "$m")
			echo "$name" >>"$w/$m.hosts"
			printf '%s ansible_host=%s' "$name" "$host"
			[ "$m" = direct ] &&
			    printf ' ansible_control_path=%%(directory)s/direct-%s' "$name"
			echo
		done
		echo "[fleet:vars]"
		echo "ansible_port=$EMU_SSHD_PORT"
		echo "ansible_user=$EMU_SSH_USER"
		echo "ansible_ssh_private_key_file=$EMU_SSH_KEY"
		echo "ansible_ssh_extra_args='-F $w/ssh_config'"
		echo "ansible_python_interpreter=/usr/bin/python3"
		echo "ansible_remote_tmp=$w/rtmp"
	} >"$w/$m.ini"
}

fleet_run() {	# W MODE FORKS
	local w=$1 m=$2 cfg=$FLEET_CFG t0 rc
	[ "$m" = direct ] && cfg=$w/direct.cfg
	rm -rf "$w/$m.root" "$w/$m.fetched"
	mkdir -p "$w/$m.root" "$w/$m.fetched"
	t0=$EPOCHREALTIME
	(
		# Nothing from the user's environment or home.
		for v in $(compgen -e | grep '^ANSIBLE_'); do unset "$v"; done
		export HOME=$w/home ANSIBLE_CONFIG=$cfg \
		    ANSIBLE_LOCAL_TEMP=$w/ltmp ANSIBLE_NOCOLOR=1 \
		    PATH=$w/bin:$PATH
		exec "$FLEET_PLAYBOOK" -i "$w/$m.ini" -f "$3" \
		    -e "fleet_root=$w/$m.root payload=$w/payload.bin" \
		    -e "payload_sha256=$FLEET_SHA fetch_dir=$w/$m.fetched" \
		    "$FLEET_HOME_DIR/fleet.yml" </dev/null
	) >"$w/$m.log" 2>&1
	rc=$?
	FLEET_WALL=$(awk -v a="$t0" -v b="$EPOCHREALTIME" \
	    'BEGIN { printf "%.2f\n", b - a }')
	return $rc
}

fleet_check() {	# W MODE
	/usr/bin/python3 "$FLEET_HOME_DIR/check.py" "$1/$2.log" \
	    "$1/$2.hosts" "$1/$2.fetched" "$1/$2.root" "$EMU_SSH_USER" \
	    "$FLEET_SHA"
}

fleet_sockets() {	# W -> number of ControlMaster sockets
	find "$1/home/.ansible/cp" -type s 2>/dev/null | wc -l
}

fleet_exit() {	# W MODE -> 0 when every host's master took the request
	local w=$1 m=$2 k=0 name host cp bad=0
	while read -r name; do
		k=$((k + 1))
		read -r name host < <(fleet_host "$k" "$m")
		cp=$w/home/.ansible/cp/%C
		[ "$m" = direct ] && cp=$w/home/.ansible/cp/direct-$name
		timeout 30 ssh -F "$w/ssh_config" -o ControlPath="$cp" \
		    -p "$EMU_SSHD_PORT" -l "$EMU_SSH_USER" -O exit "$host" \
		    2>>"$w/exit.err" || { echo "  $name: ssh -O exit failed"
		    bad=1; }
	done <"$w/$m.hosts"
	return $bad
}
