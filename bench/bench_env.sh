# Sourced by the sh benchmarks (futex.sh, threads.sh, signals.sh) after they set $top:
# picolx.exe ($PICOLX_EXE, or the build's), the project's Wine prefix, quiet Wine, and a
# work directory removed at exit.
picolx=${PICOLX_EXE:-$top/build/picolx.exe}
export WINEPREFIX=${PICOLX_WINEPREFIX:-$top/build/wineprefix}
export WINEDEBUG=${WINEDEBUG:--all}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
