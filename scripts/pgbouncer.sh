#!/usr/bin/env bash
# Prints the path of a PgBouncer that can pool Evently's connections in transaction mode:
# 1.21 or later, which keeps protocol-level prepared statements working
# (`max_prepared_statements`). Debian 12 ships 1.18, so when no such PgBouncer is on the
# PATH the first run builds 1.24.1 from Debian 13's source package (checksum pinned)
# into the tools cache; later runs reuse it. Build output goes to stderr.
set -euo pipefail
TOOLS=${EVENTLY_TOOLS:-$HOME/.cache/evently-tools}
VERSION=1.24.1
SHA256=da72a3aba13072876d055a3e58dd4aba4a5de4ed6148e73033185245598fd3e0
SOURCE=http://deb.debian.org/debian/pool/main/p/pgbouncer/pgbouncer_$VERSION.orig.tar.gz
PREFIX=$TOOLS/pgbouncer-$VERSION

recent_enough() {
    "$1" --version 2>/dev/null | head -n 1 |
        awk '{ split($2, v, "."); exit !(v[1] > 1 || (v[1] == 1 && v[2] >= 21)) }'
}

if command -v pgbouncer >/dev/null && recent_enough "$(command -v pgbouncer)"; then
    command -v pgbouncer
    exit 0
fi
mkdir -p "$TOOLS"
exec 9>"$TOOLS/.pgbouncer.lock"
flock 9
if [ ! -x "$PREFIX/bin/pgbouncer" ]; then
    {
        if ! pkg-config --exists libevent 2>/dev/null; then
            apt-get install -y -qq libevent-dev pkg-config >/dev/null ||
                { apt-get update -qq && apt-get install -y -qq libevent-dev pkg-config >/dev/null; }
        fi
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        curl -fsSL -o "$work/src.tar.gz" "$SOURCE"
        echo "$SHA256  $work/src.tar.gz" | sha256sum -c --quiet
        tar -xzf "$work/src.tar.gz" -C "$work"
        cd "$work/pgbouncer-$VERSION"
        ./configure --prefix="$PREFIX" --without-openssl --without-cares --without-systemd >/dev/null
        make -j"$(nproc)" >/dev/null
        make install >/dev/null
    } >&2
fi
recent_enough "$PREFIX/bin/pgbouncer"
echo "$PREFIX/bin/pgbouncer"
