#!/usr/bin/env bash
# rsync -e "ssh ... ProxyCommand=ssm-proxy" of a small tree (nested
# directories, an empty file, a symlink, binary content, a 1 MiB file),
# then an incremental run after one change; every file verified.
. "$(dirname "$0")/lib.bash"
it_start --no-agent-pause

src=$T/src
mkdir -p "$src/a/b/c" "$src/empty-dir" "$T/dst" || exit 1
for i in 1 2 3 4 5; do
	head -c $((i * 1000 + 7)) /dev/urandom >"$src/a/f$i.bin"
	echo "text $i" >"$src/a/b/t$i.txt"
done
head -c $((1024 * 1024)) /dev/urandom >"$src/a/b/c/big.bin"
: >"$src/zero"
ln -s a/b/t1.txt "$src/link"
# rsync parses -e itself; the temp paths have no spaces.
RSH="ssh ${SSHOPTS[*]/#ProxyCommand=*/ProxyCommand=\'$PXWRAP %h %p\'}"
tree_sums() { (cd "$1" && find . -type f -print0 | sort -z |
    xargs -0 sha256sum; find . -type l -printf '%p -> %l\n' | sort;
    find . -type d | sort); }

timeout "$TMO" rsync -a -e "$RSH" "$src/" "$DEST:$T/dst/" </dev/null \
    >"$T/rsync1.out" 2>"$T/rsync1.err"
rc=$?
check "rsync -a exits 0 (got $rc)" [ $rc -eq 0 ]
check "  tree identical: files (SHA-256), symlink, directories" \
    [ "$(tree_sums "$src")" = "$(tree_sums "$T/dst")" ]

echo changed >>"$src/a/b/t3.txt"
rm "$src/a/f5.bin"
timeout "$TMO" rsync -a --delete -i -e "$RSH" "$src/" "$DEST:$T/dst/" \
    </dev/null >"$T/rsync2.out" 2>"$T/rsync2.err"
rc=$?
cat "$T/rsync2.out"
check "incremental rsync --delete exits 0 (got $rc)" [ $rc -eq 0 ]
check "  sent the change and the deletion only" \
    [ "$(grep -c . "$T/rsync2.out")" -le 3 ]
check "  tree identical again" \
    [ "$(tree_sums "$src")" = "$(tree_sums "$T/dst")" ]
check "rsync stderr empty" [ -z "$(cat "$T/rsync1.err" "$T/rsync2.err")" ]
check "2 ssm-proxy runs, each exit 0, sanitizer-clean stderr" px_check 2
it_done "rsync -e ssh of a tree and an incremental update, verified"
