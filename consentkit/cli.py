"""The ``consentkit`` console command: one group, a subcommand per job."""

from __future__ import annotations

import click

from . import __version__
from .commands.audit import audit
from .commands.demo import demo
from .commands.jobs import jobs
from .commands.policy import policy
from .commands.server import db, serve
from .commands.simulate import simulate
from .commands.trace import trace
from .commands.users import users


@click.group()
@click.version_option(__version__, prog_name="consentkit")
def main() -> None:
    """consentkit — make a mobile app's privacy policy true in code, and prove it."""


main.add_command(policy)
main.add_command(demo)
main.add_command(serve)
main.add_command(db)
main.add_command(audit)
main.add_command(simulate)
main.add_command(trace)
main.add_command(jobs)
main.add_command(users)

if __name__ == "__main__":  # pragma: no cover
    main()
