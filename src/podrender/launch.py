"""The `podrender` console command: for `podrender render`, the zygote is forked before the CLI loads.

Loading click, PyYAML and the CLI takes about 0.1 s here. A render's zygote (zygote.py) needs
that time on the other core to load numpy, LAME and espeak before the parent sends its order, so it
is forked first; `podrender render` then takes it over (cli.render), and a command that never gets
there (`render --help`, a usage error) stops it on the way out.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["render"] and not {"-h", "--help"} & set(sys.argv[2:]):
        from podrender.zygote import start_early

        start_early()
    from podrender.cli import main as cli_main

    cli_main()
