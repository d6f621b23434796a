# Shared by the scripts: messages, root, and the project's own Wine prefix.
say() { printf 'picolx: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

PICOLX_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WINEPREFIX=${PICOLX_WINEPREFIX:-$PICOLX_TOP/build/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEARCH=win64
# No Mono or Gecko installers: picolx needs neither.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}

ensure_wineprefix() {
  if [[ ! -f $WINEPREFIX/system.reg ]]; then
    say "creating the Wine prefix $WINEPREFIX"
    mkdir -p "$WINEPREFIX"
    wine wineboot -i >/dev/null 2>&1 || true
    wineserver -w || true
  fi
}

# A wineserver started by the first Wine program of a command inherits that program's
# standard output: `out=$(scripts/picolx run ...)` would then wait for the server to
# exit. One started here holds none of our files (it stays 10 s after its last client).
ensure_wineserver() {
  setsid wineserver -p10 </dev/null >/dev/null 2>&1 || true
}
