"""The exit codes of cogctl, defined once: the CLI exits with them, and the records a run
leaves (``drift --metrics-file``) name them.

0 success; 1 an expected failure, reported as one clear line (usage errors too: click's own
2 would read as drift); 2 changes or drift (``plan --detailed-exitcode``, ``drift``); 3
verification failed; 70 internal error; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).
"""

from __future__ import annotations

OK = 0
ERROR = 1
CHANGES = 2
VERIFY_FAILED = 3
INTERNAL = 70
INTERRUPTED = 130
TERMINATED = 143  # 128 + SIGTERM

HELP = (
    "Exit codes: 0 success; 1 error (one line says what and where); 2 changes present "
    "(plan --detailed-exitcode) or drift found (drift); 3 applied or ran, but verification "
    "failed; 70 internal error (see the log file named); 130 interrupted; 143 terminated."
)
