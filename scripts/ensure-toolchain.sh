#!/bin/sh
# Installs what `make image` needs and a fresh machine lacks: the npm packages (for `npm start`
# right after) and the guest cross-compiler. Called by the Makefile with CC and LD set.
set -e

if [ ! -d node_modules ] && [ -f package.json ]; then
    echo "hermitkv: installing npm packages (npm ci)"
    npm ci
fi

have() { command -v "$1" >/dev/null 2>&1; }

if have "$CC" && have "$LD"; then
    exit 0
fi

case "$CC" in
*i686-linux-gnu-gcc)
    if [ "$(id -u)" = 0 ] && have apt-get; then
        echo "hermitkv: installing the guest cross-compiler (gcc-i686-linux-gnu) with apt-get"
        apt-get update
        apt-get install -y gcc-i686-linux-gnu binutils-i686-linux-gnu
        exit 0
    fi
    ;;
esac

echo "hermitkv: cannot build the guest: compiler '$CC' or linker '$LD' not found." >&2
echo "  On Debian or Ubuntu install one with:" >&2
echo "    sudo apt-get update && sudo apt-get install -y gcc-i686-linux-gnu binutils-i686-linux-gnu" >&2
echo "  or pick another with: make image CC=clang LD=ld.lld (needs clang and lld)." >&2
exit 1
