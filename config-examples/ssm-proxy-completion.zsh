# ssm-proxy: offer the hosts ssm-proxy resolved recently (the KEY column of
# its name cache: names, IP addresses and private DNS names as they were
# typed) to zsh's ssh, scp and sftp host completion.
#
# Source it from ~/.zshrc after compinit:
#
#   autoload -Uz compinit && compinit
#   source ~/ssm-proxy-completion.zsh
#
# The cache is $XDG_CACHE_HOME/ssm-proxy/names-*.tsv (else
# ~/.cache/ssm-proxy/), lines KEY<TAB>ID<TAB>EXPIRES; comment lines and
# expired entries are skipped, so a name is offered for --cache-ttl
# seconds (10 minutes by default) after ssm-proxy last resolved it.
# Instance ids are not offered: the keys are what the user types.
# Keys holding ':' (cached EC2 Instance Connect Endpoint routes,
# eice:ID) are not hosts and are skipped.
#
# It wraps _ssh_hosts, the function zsh's ssh, scp and sftp completion
# call for host names, and adds the cached names after the hosts it
# found, with the same options (user@ and scp's ':' included).

zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

# Print the live keys of every ssm-proxy name cache file, one a line.
_ssm_proxy_cached_names() {
  emulate -L zsh
  setopt extended_glob null_glob
  local dir=${XDG_CACHE_HOME-} f key id exp rest
  [[ $dir == /* ]] || dir=$HOME/.cache
  for f in $dir/ssm-proxy/names-*.tsv(.N); do
    [[ -r $f ]] || continue
    while IFS=$'\t' read -r key id exp rest; do
      [[ -n $key && $key != \#* && $key != *:* && -z $rest && -n $id &&
          $exp == <-> && ${#exp} -le 18 ]] || continue
      (( 10#$exp > EPOCHSECONDS )) && print -r -- $key
    done <$f
  done
}

if (( $+functions[compdef] )) && ! (( $+functions[_ssm_proxy_ssh_hosts] )) &&
    autoload -Uz +X _ssh_hosts 2>/dev/null; then
  functions -c _ssh_hosts _ssm_proxy_ssh_hosts
  _ssh_hosts() {
    local ret=1 expl
    local -a names
    _ssm_proxy_ssh_hosts "$@" && ret=0
    case $service in
      (ssh|scp|sftp|slogin|autossh) ;;
      (*) return ret ;;
    esac
    names=(${(fu)"$(_ssm_proxy_cached_names)"})
    (( $#names )) && _wanted hosts expl 'ssm-proxy host' \
        compadd -M 'm:{a-zA-Z}={A-Za-z}' "$@" -a names && ret=0
    return ret
  }
fi
