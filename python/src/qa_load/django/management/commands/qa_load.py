"""``python manage.py qa_load [--database ALIAS] ARGS...``: qa-load against a Django database.

Every argument except Django's own options goes to qa-load unchanged: ``--input apps.json``,
``--dry-run``, ``verify --input apps.json``, ``rollback --last``, ``history``, ``schema status``,
``--help``. Django's options stay Django's: ``--database ALIAS`` (default ``default``; the
connection, see below), ``--settings``, ``--pythonpath``, ``--verbosity``, ``--traceback``,
``--no-color``, ``--force-color``. After ``--`` everything goes to qa-load.

The connection is ``DATABASES[ALIAS]``: HOST, PORT, NAME, USER, PASSWORD and the libpq entries of
OPTIONS (sslmode, sslrootcert, sslcert, sslkey, passfile, options, connect_timeout) reach qa-load
in libpq's environment variables (PGHOST, ..., PGPASSWORD, PGSSLMODE, ...), the way Django's
``dbshell`` hands them to psql: the password is never on a command line and never printed. What
DATABASES leaves empty falls back to the process's own PG* variables, as it does for Django's own
connection. ``DATABASE_URL`` is removed from qa-load's environment (qa-load would prefer it to the
PG* variables), and qa-load's own ``--database URL`` is refused: the connection comes from
DATABASES only.

qa-load's exit code is the command's (``CommandError(returncode=...)``; a code of 0 raises
nothing). Ctrl-C reaches qa-load (same process group); a SIGINT or SIGTERM sent to manage.py
itself is forwarded to it, and the command waits for qa-load, which rolls back and exits 3.
qa-load's output goes straight to the terminal (not through ``self.stdout``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from qa_load import BIN_ENV, find_qa_load_bin

# Django's options that this command keeps; every other argument is qa-load's.
DJANGO_VALUE_OPTIONS = ("--database", "--settings", "--pythonpath", "--verbosity")
DJANGO_FLAGS = ("--traceback", "--no-color", "--force-color")

# The backend's own tables: `--layout django` unless the arguments give a layout.
DEFAULT_LAYOUT = "django"
# The backend's settings.R2_PUBLIC_URL, when it has one, unless the arguments give the option.
MEDIA_BASE_URL_OPTION = "--media-base-url"

# Shells' conventions for a command that cannot be found or run.
EXIT_NOT_FOUND = 127
EXIT_CANNOT_RUN = 126
EXIT_USAGE = 2  # qa-load's usage code (README.md, "Exit codes")

# libpq's variables that DATABASES settings and OPTIONS entries map to (beyond what Django's
# dbshell puts in psql's environment: PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY,
# PGPASSFILE, PGSERVICE).
SETTINGS_VARS = (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("NAME", "PGDATABASE"), ("USER", "PGUSER"))
OPTIONS_VARS = (("options", "PGOPTIONS"), ("connect_timeout", "PGCONNECT_TIMEOUT"))


def split_args(args):
    """(Django's arguments, qa-load's arguments), in their order."""
    ours, theirs = [], []
    it = iter(args)
    for a in it:
        if a == "--":
            theirs.extend(it)
            break
        name = a.split("=", 1)[0]
        if name in DJANGO_VALUE_OPTIONS:
            ours.append(a)
            if "=" not in a:
                value = next(it, None)
                if value is not None:
                    ours.append(value)
        elif a in DJANGO_FLAGS:
            ours.append(a)
        else:
            theirs.append(a)
    return ours, theirs


def has_option(args, name):
    return any(a == name or a.startswith(name + "=") for a in args)


def qa_load_env(connection, base_env):
    """qa-load's environment: base_env without DATABASE_URL, plus the connection's PG* variables."""
    settings_dict = connection.settings_dict
    options = settings_dict.get("OPTIONS") or {}
    # Django's own mapping for psql (dbshell): the password and the TLS files go in its env.
    _, env = connection.client.settings_to_cmd_args_env(settings_dict, [])
    env = dict(env or {})
    if env.get("PGSERVICE"):
        raise CommandError(
            "DATABASES OPTIONS 'service' (pg_service.conf) is not read by qa-load: "
            "give HOST, PORT, NAME and USER instead",
            returncode=EXIT_USAGE,
        )
    for key, var in SETTINGS_VARS:
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    for key, var in OPTIONS_VARS:
        if options.get(key) not in (None, ""):
            env[var] = str(options[key])
    merged = {k: v for k, v in base_env.items() if k != "DATABASE_URL"}
    merged.update({k: str(v) for k, v in env.items() if v not in (None, "")})
    return merged


def default_args(args):
    """The options the command adds in front of the user's (see DEFAULT_LAYOUT above)."""
    extra = []
    if DEFAULT_LAYOUT and not has_option(args, "--layout"):
        extra += ["--layout", DEFAULT_LAYOUT]
    media = getattr(settings, "R2_PUBLIC_URL", None)
    if MEDIA_BASE_URL_OPTION and media and not has_option(args, MEDIA_BASE_URL_OPTION):
        extra += [MEDIA_BASE_URL_OPTION, str(media)]
    return extra


def run_forwarding_signals(argv, env):
    """Runs argv; SIGINT and SIGTERM sent to this process go to it too. Its return code."""
    try:
        child = subprocess.Popen(argv, env=env)
    except OSError as e:
        raise CommandError(
            f"cannot run qa-load ({argv[0]}): {e.strerror or e}; reinstall the qa-load wheel "
            f"for this platform, or point {BIN_ENV} at a qa-load binary",
            returncode=EXIT_CANNOT_RUN,
        ) from None

    def forward(signum, _frame):
        if child.poll() is None:
            try:
                child.send_signal(signum)
            except ProcessLookupError:
                pass

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, forward)
    try:
        # qa-load decides when it is done: after a Ctrl-C it rolls back, records the run, exits 3.
        return child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class Command(BaseCommand):
    help = (
        "Runs qa-load (load, --dry-run, verify, rollback, history, schema status) against "
        "DATABASES[--database]: every argument but the long options below goes to qa-load, "
        "-h/--help, -v, -q and --version included (`manage.py qa_load --help` shows qa-load's "
        "help). Exit code: qa-load's."
    )
    # Like dbshell: only the connection settings are needed, not the project's checks.
    requires_system_checks = []
    # qa-load's, not Django's (Django >= 4.0 hides them from this command's help).
    suppressed_base_arguments = {"--version", "-v"}

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parse = parser.parse_args

        # Django's parser sees only Django's options; qa-load's come after "--", untouched (so
        # `--input`, `-v` or `--help` are qa-load's, and call_command(...) splits the same way).
        def parse_args(args=None, namespace=None):
            ours, theirs = split_args(list(args or []))
            return parse([*ours, "--", *theirs], namespace)

        parser.parse_args = parse_args
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            metavar="ALIAS",
            help='The DATABASES entry qa-load connects to (default "default"); not a URL.',
        )
        parser.add_argument(
            "qa_load_args", nargs="*", metavar="ARGS", help="qa-load's command and options"
        )

    def handle(self, *args, **options):
        qa_args = list(options["qa_load_args"])
        alias = options["database"]
        if has_option(qa_args, "--database"):
            raise CommandError(
                "qa-load's --database URL is not accepted here: the connection comes from "
                "DATABASES (--database ALIAS), so that no password is on a command line",
                returncode=EXIT_USAGE,
            )
        if alias not in settings.DATABASES:
            known = ", ".join(sorted(settings.DATABASES))
            if "://" in alias or "=" in alias or "@" in alias:
                # Not echoed: a connection string may hold a password.
                message = (
                    "--database takes a DATABASES alias here, not a connection string (value not "
                    f"shown: it may contain a password); known aliases: {known}"
                )
            else:
                message = f"no database alias {alias!r} in DATABASES; known: {known}"
            raise CommandError(message, returncode=EXIT_USAGE)
        connection = connections[alias]
        if connection.vendor != "postgresql":
            raise CommandError(
                f"DATABASES[{alias!r}] is {connection.vendor}, not PostgreSQL",
                returncode=EXIT_USAGE,
            )
        env = qa_load_env(connection, os.environ)

        try:
            binary = find_qa_load_bin()
        except FileNotFoundError as e:
            raise CommandError(str(e), returncode=EXIT_NOT_FOUND) from None

        if has_option(qa_args, "--help") or "-h" in qa_args:
            self.stdout.write(
                "manage.py qa_load [--database ALIAS] ARGS...: qa-load with the connection of "
                f"DATABASES[ALIAS] (here {alias!r}); qa-load's own --database is not accepted. "
                "qa-load's help:\n"
            )
            self.stdout.flush()

        code = run_forwarding_signals([binary, *default_args(qa_args), *qa_args], env)
        if code < 0:
            name = signal.Signals(-code).name
            raise CommandError(f"qa-load was ended by {name}", returncode=128 - code)
        if code != 0:
            raise CommandError(f"qa-load exited with code {code}", returncode=code)
