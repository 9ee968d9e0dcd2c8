# ssm-proxy: offer the hosts ssm-proxy resolved recently (the KEY column of
# its name cache: names, IP addresses and private DNS names as they were
# typed) to bash-completion's ssh, scp and sftp host completion.
#
# Needs bash-completion (Debian: the bash-completion package).  Install
# either system-wide, where bash-completion reads it once loaded:
#
#   install -m 0644 ssm-proxy-completion.bash /etc/bash_completion.d/ssm-proxy
#
# or source it from ~/.bashrc after bash-completion is loaded:
#
#   . ~/ssm-proxy-completion.bash
#
# The cache is $XDG_CACHE_HOME/ssm-proxy/names-*.tsv (else
# ~/.cache/ssm-proxy/), lines KEY<TAB>ID<TAB>EXPIRES; comment lines and
# expired entries are skipped, so a name is offered for --cache-ttl
# seconds (10 minutes by default) after ssm-proxy last resolved it.
# Instance ids are not offered: the keys are what the user types.
# Keys holding ':' (cached EC2 Instance Connect Endpoint routes,
# eice:ID) are not hosts and are skipped.
#
# It wraps bash-completion's _known_hosts_real (before 2.12; from 2.12 on
# the worker of _comp_compgen_known_hosts), what ssh, scp and sftp call
# for host names, and adds cached names only when the
# command is one of those: the normal completion (known_hosts, ~/.ssh/config
# aliases, files for scp) is kept as it was.

# Print the live keys of every ssm-proxy name cache file, one a line.
_ssm_proxy_cached_names()
{
    local dir=${XDG_CACHE_HOME-} now f key id exp rest
    [[ $dir == /* ]] || dir=~/.cache
    dir+=/ssm-proxy
    printf -v now '%(%s)T' -1
    for f in "$dir"/names-*.tsv; do
        [[ -f $f && ! -L $f && -r $f ]] || continue
        while IFS=$'\t' read -r key id exp rest; do
            [[ -n $key && $key != '#'* && $key != *:* && -z $rest && -n $id &&
                $exp =~ ^[0-9]{1,18}$ ]] || continue
            ((10#$exp > now)) && printf '%s\n' "$key"
        done <"$f"
    done
}

# Called with _known_hosts_real's arguments after it: append the cached
# names that start with the current word (after any user@), with the
# same prefix and suffix (scp's ':') as the hosts it found.
_ssm_proxy_add_names()
{
    local OPTIND=1 flag prefix="" suffix="" cur name
    case ${COMP_WORDS[0]##*/} in
        ssh | scp | sftp | slogin | autossh) ;;
        *) return 0 ;;
    esac
    while getopts "ac46F:p:" flag "$@"; do
        case $flag in
            c) suffix=: ;;
            p) prefix=$OPTARG ;;
        esac
    done
    cur=${!OPTIND-}
    [[ $cur == *@* ]] && prefix=$prefix${cur%@*}@ && cur=${cur#*@}
    # ssh lowercases the host name it is given; so are the cache's keys.
    cur=${cur,,}
    while IFS= read -r name; do
        [[ $name == "$cur"* ]] && COMPREPLY+=("$prefix$name$suffix")
    done < <(_ssm_proxy_cached_names | sort -u)
    return 0
}

# bash-completion 2.12 and later (Debian 13): ssh, scp and sftp call
# _comp_compgen_known_hosts (and the old _known_hosts_real now leads to
# it), whose worker fills the caller's array known_hosts, prefix and
# suffix applied, and returns 1 when it stays empty.  Before 2.12
# (Debian 12): _known_hosts_real fills COMPREPLY.
if declare -F _comp_compgen_known_hosts__impl >/dev/null; then
    if ! declare -F _ssm_proxy_known_hosts_impl >/dev/null; then
        eval "_ssm_proxy_known_hosts_impl()
            $(declare -f _comp_compgen_known_hosts__impl | tail -n +2)"
        _comp_compgen_known_hosts__impl()
        {
            local rc=0 COMPREPLY=()
            _ssm_proxy_known_hosts_impl "$@" || rc=$?
            ((rc <= 1)) || return $rc
            _ssm_proxy_add_names "$@"
            known_hosts+=("${COMPREPLY[@]}")
            ((${#known_hosts[@]})) || return 1
            return 0
        }
    fi
elif declare -F _known_hosts_real >/dev/null &&
    ! declare -F _ssm_proxy_known_hosts_real >/dev/null; then
    eval "_ssm_proxy_known_hosts_real()
        $(declare -f _known_hosts_real | tail -n +2)"
    _known_hosts_real()
    {
        local rc=0
        _ssm_proxy_known_hosts_real "$@" || rc=$?
        ((rc == 0)) && _ssm_proxy_add_names "$@"
        return $rc
    }
fi
