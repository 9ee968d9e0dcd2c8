#!/usr/bin/env bash
# README.md's Layout table matches the tree: every folder it names exists,
# every main file it names (or glob, like test_*.c) matches a file in that
# folder, and every folder directly under protocol/, proxy/ and tests/
# that holds files is named.  Prints one line per mismatch; exit 1 if any.
set -u
cd "$(dirname "$0")/../.." || exit 2

bad=0
problem() { echo "readme-layout: $*"; bad=1; }

# Rows of the table under "## Layout": | `folder/` | `file`, ... | what |
rows=$(awk '/^## /{ on = ($0 == "## Layout") } on && /^\| `/' README.md)
[ -n "$rows" ] || { echo "readme-layout: no Layout table in README.md"; exit 1; }

named=" "
while IFS= read -r row; do
	folder=$(echo "$row" | cut -d'|' -f2 | tr -d ' `')
	# shellcheck disable=SC2016 # backquotes, not an expansion
	files=$(echo "$row" | cut -d'|' -f3 | grep -o '`[^`]*`' | tr -d '`')
	case $folder in
	*/) folder=${folder%/} ;;
	*) problem "'$folder' is not a folder (no trailing /)"; continue ;;
	esac
	named="$named$folder "
	[ -d "$folder" ] || { problem "$folder/ is named but does not exist"; continue; }
	for f in $files; do
		# shellcheck disable=SC2086 # f may be a glob on purpose
		set -- "$folder"/$f
		[ -e "$1" ] || problem "$folder/$f is named but matches nothing"
	done
done <<EOF
$rows
EOF

for top in protocol proxy tests; do
	[ -d "$top" ] || continue
	case $named in *" $top "*) ;; *) problem "$top/ is not named" ;; esac
	for d in "$top"/*/; do
		d=${d%/}
		[ -d "$d" ] || continue
		[ -n "$(find "$d" -type f -print -quit)" ] || continue
		case $named in
		*" $d "*) ;;
		*) problem "$d/ holds files but is not named" ;;
		esac
	done
done

[ $bad -eq 0 ] || exit 1
echo "#> README.md layout table: $(echo "$named" | wc -w) folders, all present"
