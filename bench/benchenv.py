"""What the Python benchmarks share: the repository's top and the environment of a
picolx run under Wine with the project's own prefix (as scripts/lib.sh sets it)."""
import os

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wine_env(**extra):
    """os.environ with the project's Wine settings, then extra (a None value removes)."""
    env = dict(os.environ)
    env['WINEPREFIX'] = os.environ.get('PICOLX_WINEPREFIX', os.path.join(TOP, 'build', 'wineprefix'))
    env.setdefault('WINEDEBUG', '-all')
    env['WINEARCH'] = 'win64'
    env.setdefault('WINEDLLOVERRIDES', 'mscoree,mshtml=')
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env
