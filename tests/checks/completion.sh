#!/usr/bin/env bash
# config-examples/ssm-proxy-completion.bash: with bash-completion loaded
# in a scratch HOME holding a name cache, completing the host of ssh,
# scp and sftp offers the cache's live names (with user@ and scp's ':'),
# never its expired, comment or malformed lines, and keeps the normal
# completion (an ~/.ssh/config alias, a local file for scp).  Then the
# same for config-examples/ssm-proxy-completion.zsh in an interactive zsh
# driven through zsh/zpty, where a Tab key widget records the matches
# offered and the line it left.
set -u
cd "$(dirname "$0")/../.." || exit 2
bc=/usr/share/bash-completion/bash_completion
script=$PWD/config-examples/ssm-proxy-completion.bash
[ -r "$bc" ] || { echo "FAIL $bc missing (make deps installs bash-completion)"; exit 1; }

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

home=$(mktemp -d /tmp/ssm-proxy-completion.XXXXXX) || exit 2
trap 'rm -rf "$home"' EXIT
mkdir -p "$home/.cache/ssm-proxy" "$home/.ssh" "$home/cwd" "$home/xdg/ssm-proxy"
chmod 700 "$home/.ssh"
now=$(date +%s)
live=$((now + 600))
old=$((now - 1))
tab=$(printf '\t')
{
	echo "# ssm-proxy name cache 1 profile=default region=eu-west-1 tag=Name"
	echo "web1${tab}i-0123456789abcdef0${tab}$live"
	echo "web2.eu-west-1${tab}i-0123456789abcdef1${tab}$live"
	echo "webold${tab}i-0123456789abcdef2${tab}$old"
	echo "webbad${tab}i-0123456789abcdef3"
	echo "webjunk${tab}i-0123456789abcdef4${tab}12x"
	echo "10.0.1.5${tab}i-0123456789abcdef5${tab}$live"
	echo "eice:i-0123456789abcdef0${tab}eice-0123,web.example,10.0.1.5${tab}$live"
} >"$home/.cache/ssm-proxy/names-0123456789abcdef.tsv"
echo "# web9${tab}i-0123456789abcdef9${tab}$live" \
    >"$home/.cache/ssm-proxy/names-fedcba9876543210.tsv"
echo "webother${tab}i-0123456789abcdef6${tab}$live" \
    >>"$home/.cache/ssm-proxy/names-fedcba9876543210.tsv"
echo "webnotcache${tab}i-0123456789abcdef7${tab}$live" \
    >"$home/.cache/ssm-proxy/other.tsv"
echo "webxdg${tab}i-0123456789abcdef8${tab}$live" \
    >"$home/xdg/ssm-proxy/names-0123456789abcdef.tsv"
printf 'Host webalias\n\tHostName 192.0.2.1\n' >"$home/.ssh/config"
: >"$home/cwd/webfile.txt"

# The sorted COMPREPLY for the command line $2 (cursor at its end), in a
# fresh non-interactive bash; $1: "with" to source the script, or not.
complete_line() {
	HOME=$home XDG_CACHE_HOME=${XDG:-} LINE=$2 WITH=$1 BC=$bc SCRIPT=$script \
	    bash --norc --noprofile -c '
		cd "$HOME/cwd" || exit 2
		. "$BC"
		[ "$WITH" = with ] && . "$SCRIPT"
		read -ra COMP_WORDS <<<"$LINE"
		[[ $LINE == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$LINE
		COMP_POINT=${#LINE}
		cmd=${COMP_WORDS[0]}
		__load_completion "$cmd" || exit 3
		spec=$(complete -p "$cmd") || exit 3
		fn=${spec#*-F }
		fn=${fn%% *}
		COMPREPLY=()
		# compopt outside a real completion only complains.
		"$fn" "$cmd" "${COMP_WORDS[COMP_CWORD]}" \
		    "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
		((${#COMPREPLY[@]} == 0)) && exit 0
		printf "%s\n" "${COMPREPLY[@]}" | sed "s/ *\$//" | sort |
		    tr "\n" " "
	' 2>&1
}

expect() {	# with|without, line, expected sorted words
	local got
	got=$(complete_line "$1" "$2")
	if [ "$got" = "$3" ]; then
		ok "$1 script: '$2<TAB>' offers: $3"
	else
		bad "$1 script: '$2<TAB>': got '$got', want '$3'"
	fi
}

expect with "ssh we" "web1 web2.eu-west-1 webalias webother "
expect with "ssh WE" "web1 web2.eu-west-1 webother "
expect with "ssh user@we" "user@web1 user@web2.eu-west-1 user@webalias user@webother "
expect with "ssh -l admin 10." "10.0.1.5 "
expect with "scp webf" "webfile.txt "
expect with "scp file we" "web1: web2.eu-west-1: webalias: webfile.txt webother: "
expect with "scp file user@web1" "user@web1: "
expect with "sftp we" "web1 web2.eu-west-1 webalias webother "
expect with "ssh webold" ""
expect with "ssh webbad" ""
expect with "ssh webjunk" ""
expect with "ssh web9" ""
expect with "ssh webnot" ""
# EICE routes are cached beside the names; their keys are not hosts.
expect with "ssh ei" ""
# Only ssh, scp and sftp: another user of _known_hosts_real is unchanged.
expect with "ssh-copy-id we" "webalias "
# Without the script: only the normal completion (so the test can fail).
expect without "ssh we" "webalias "
# XDG_CACHE_HOME moves the cache.
XDG=$home/xdg expect with "ssh we" "webalias webxdg "

# zsh: init.zsh sets up compsys (and the script), records each match
# compadd is given and the line after Tab; drive.zsh types the line.
command -v zsh >/dev/null || { bad "zsh missing (make deps installs it)"; }
cat >"$home/init.zsh" <<'EOF'
PS1='> '
autoload -Uz compinit && compinit -u -D
[[ $WITH == with ]] && source $SCRIPT
zstyle ':completion:*' list-grouped false
compadd() {
	if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
		builtin compadd "$@"
		return
	fi
	local -a hits
	builtin compadd -A hits "$@"
	(( $#hits )) && print -rl -- $hits >>$OUT
	builtin compadd "$@"
}
_capture() {
	zle complete-word
	print -r -- "line=[$BUFFER]" >>$OUT
	print -n '__DO''NE__'
}
zle -N _capture
bindkey '^I' _capture
EOF
cat >"$home/drive.zsh" <<'EOF'
zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z "source ${(q)INIT}; print '__REA''DY__'"
zpty -r z junk '*__READY__*'
zpty -w -n z "$1"$'\t'
zpty -r z junk '*__DONE__*'
zpty -d z
[[ -r $OUT ]] && sort -u $OUT | tr '\n' ' '
EOF
zexpect() {	# with|without, line, expected sorted matches and line
	local got
	rm -f "$home/zsh.out"
	got=$(cd "$home/cwd" && HOME=$home OUT=$home/zsh.out \
	    INIT=$home/init.zsh WITH=$1 SCRIPT=${script%.bash}.zsh \
	    XDG_CACHE_HOME=${XDG:-} timeout 30 zsh -f "$home/drive.zsh" "$2" 2>&1)
	if [ "$got" = "$3" ]; then
		ok "zsh, $1 script: '$2<TAB>' gives: $3"
	else
		bad "zsh, $1 script: '$2<TAB>': got '$got', want '$3'"
	fi
}
if command -v zsh >/dev/null; then
	zexpect with "ssh we" "line=[ssh web] web1 web2.eu-west-1 webalias webother "
	zexpect with "ssh WEB1" "line=[ssh web1 ] web1 "
	zexpect with "ssh user@web1" "line=[ssh user@web1 ] web1 "
	zexpect with "scp file web1" "line=[scp file web1:] web1 "
	zexpect with "sftp web2" "line=[sftp web2.eu-west-1:] web2.eu-west-1 "
	zexpect with "ssh 10.0.1" "10.0.1.5 line=[ssh 10.0.1.5 ] "
	zexpect with "ssh webol" "line=[ssh webol] "
	zexpect with "ssh webj" "line=[ssh webj] "
	zexpect with "ssh web9" "line=[ssh web9] "
	zexpect with "ssh ei" "line=[ssh ei] "
	zexpect with "ssh-copy-id we" "line=[ssh-copy-id webalias ] webalias "
	zexpect without "ssh we" "line=[ssh webalias ] webalias "
	XDG=$home/xdg zexpect with "ssh webx" "line=[ssh webxdg ] webxdg "
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && echo "#> bash and zsh completion offer ssm-proxy's cached names ($pass checks)"
[ "$fail" -eq 0 ]
