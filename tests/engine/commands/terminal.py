"""Children that get Ctrl-C as from a terminal, whatever started the test run."""

from __future__ import annotations

import signal


def sigint_as_in_a_terminal() -> None:
    """Popen's preexec_fn: SIGINT back to its default. A run started in the background by a non-interactive shell
    (`nohup make test &`, some CI wrappers) ignores SIGINT, children inherit that, and Python then installs no
    KeyboardInterrupt handler: the Ctrl-C these tests send would do nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
