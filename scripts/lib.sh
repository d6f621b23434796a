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

# The first Wine program after a wineserver starts also starts Wine's services
# (services.exe, winedevice.exe), and they, like a server that program starts, inherit its
# standard output: `out=$(scripts/picolx run ...)` would then wait for them to exit. When
# no wineserver runs, one is started here and the services with a program that has none
# of our files (the server stays 10 s after its last client).
ensure_wineserver() {
  if ! pgrep -u "$(id -u)" -x 'wineserver|wineserver64' >/dev/null 2>&1; then
    setsid wineserver -p10 </dev/null >/dev/null 2>&1 || true
    setsid wine cmd /c exit </dev/null >/dev/null 2>&1 || true
  fi
}
