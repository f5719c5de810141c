"""The command line: parse arguments, set up logging, call the library, turn its errors into one line.

`build-appeal CASE_DIR ...` builds; other verbs are subcommands (`build-appeal schema`). Heavy modules
(WeasyPrint, docxtpl, pypdf) are imported inside the commands so `--help` answers at once.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from pipeline import __version__

F = TypeVar("F", bound=Callable[..., Any])

GROUP_FLAGS = ("--debug", "--quiet", "-q", "--verbose", "-v")


class DefaultToBuild(click.Group):
    """A group where a bare case path means `build`: `build-appeal cases/x` builds cases/x. The group's own
    flags may come anywhere: `build-appeal cases/x --debug`, as the error messages invite, is
    `build-appeal --debug cases/x`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)  # after `--`, every word is an argument
        flags = [word for word in args[:end] if word in GROUP_FLAGS]
        rest = flags + [word for word in args[:end] if word not in GROUP_FLAGS] + list(args[end:])
        position = 0
        while position < len(rest) and rest[position] in GROUP_FLAGS:
            position += 1
        if (
            position < len(rest)
            and rest[position] not in self.commands
            and rest[position]
            not in (
                "--help",
                "-h",
                "--version",
            )
        ):
            rest.insert(position, "build")
        return super().parse_args(ctx, rest)


@click.group(cls=DefaultToBuild, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="build-appeal")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings, errors and the result.")
@click.option("-v", "--verbose", is_flag=True, help="Print every step.")
@click.pass_context
def main(ctx: click.Context, debug: bool, quiet: bool, verbose: bool) -> None:
    """Turn a Schedule A case folder into an appeal letter, a customer-service inquiry, an evidence index
    and one PDF bundle.

    \b
      build-appeal cases/acme              build one case into output/acme/
      build-appeal cases/* -o /tmp/out     build several
      build-appeal schema                  print the JSON Schema of case.yaml
    """
    from pipeline.limits import stop_on_signals

    stop_on_signals()
    ctx.obj = {"debug": debug}
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s" if verbose else "%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    for noisy in ("fontTools", "pikepdf", "img2pdf", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def output_option(help: str) -> Callable[[F], F]:
    """`-o/--output`, the folder of the cases' outputs, as every command that uses them takes it."""
    return click.option(
        "-o",
        "--output",
        "output_root",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("output"),
        show_default=True,
        help=help,
    )


def reports_errors(command: F) -> F:
    """Print a BuildAppealError (or a full disk) as one message and exit 1; with --debug, show the
    traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pipeline.errors import user_error
        from pipeline.limits import Terminated, stops_unmasked

        debug = bool(click.get_current_context().find_root().obj.get("debug"))
        try:
            with stops_unmasked():
                return command(*args, **kwargs)
        except KeyboardInterrupt:
            click.echo(f"interrupted; {_left_behind()}", err=True)
            sys.exit(130)
        except Terminated as stopped:  # SIGTERM, or SIGHUP (`HungUp`)
            click.echo(f"stopped ({stopped.signum.name}); {_left_behind()}", err=True)
            sys.exit(128 + stopped.signum)
        except click.ClickException:  # a usage error: click says it, with the usage line
            raise
        except click.Abort:  # Ctrl-C or Ctrl-D at a question (`init`, a password): off the question's line
            click.echo(f"\ncancelled; {_left_behind()}", err=True)
            sys.exit(1)
        except Exception as error:
            if debug:
                raise
            actionable = user_error(error, kwargs.get("output_root"))
            if actionable is not None:
                click.echo(f"error: {actionable}", err=True)
                sys.exit(actionable.exit_code)
            click.echo(  # a bug: say so plainly, without a wall of traceback
                f"error: build-appeal failed unexpectedly ({type(error).__name__}: {error}); nothing was "
                "written. Run again with --debug and report the output.",
                err=True,
            )
            sys.exit(70)

    return wrapper  # type: ignore[return-value]


def _left_behind() -> str:
    """What an interrupted command leaves: nothing, unless it is a build that had begun to move its files
    into place, which it finishes first (`outputs.publish`), or a send that had handed its mail over."""
    from pipeline import outputs

    built = "the build had finished: its outputs are in place" if outputs.publishing else ""
    if click.get_current_context().command.name == "send":  # (its build, if any, may be long finished)
        from pipeline.send import handed_over

        return handed_over or ("no mail was sent" + (f"; {built}" if built else ""))
    return built or "nothing was written"


@main.command()
@click.argument("case_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@output_option("Folder that receives one sub-folder per case.")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh", "bilingual"]),
    help="Language of the documents; overrides `language:` in case.yaml.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=180.0,
    show_default=True,
    help="Seconds LibreOffice or WeasyPrint may spend on one run before it is stopped.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=os.cpu_count() or 1,
    show_default="the number of cores",
    help="How many cases to build at once.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Make every part afresh, without reusing parts of earlier builds kept in OUTPUT/.cache/.",
)
@click.option(
    "--for",
    "destination",
    type=click.Choice(["platform", "court", "email"]),
    help="Where the bundle goes; its rules are checked before anything is written (docs/destinations.md). "
    "Default: bundle.destination of case.yaml.",
)
@click.option(
    "--ocr", is_flag=True, help="Add searchable text to exhibit pages that have none (court: always)."
)
@click.option(
    "--compress",
    is_flag=True,
    help="Downsample images when the bundle is over the platform's or e-mail's cap.",
)
@click.option(
    "--redact", is_flag=True, help="Mask full account, card, ID numbers and birth dates in the documents."
)
@click.option(
    "--watch",
    is_flag=True,
    help="Stay running and build the case again whenever case.yaml, an evidence file or a template "
    "changes (one CASE_DIR only; Ctrl-C stops).",
)
@reports_errors
def build(
    case_dirs: tuple[Path, ...],
    output_root: Path,
    lang: str | None,
    timeout: float,
    jobs: int,
    no_cache: bool,
    destination: str | None,
    ocr: bool,
    compress: bool,
    redact: bool,
    watch: bool,
) -> None:
    """Build each CASE_DIR into OUTPUT/<case name>/; the last line printed is the bundle's path.

    Several cases are built in parallel; a failed case does not stop the others, a summary table follows,
    and the exit code is 1 if any failed. Parts whose inputs did not change since an earlier build are
    taken from OUTPUT/.cache/."""
    case_dirs = _one_output_each(case_dirs, output_root)
    if watch and len(case_dirs) > 1:
        raise click.UsageError("--watch follows one case; name one CASE_DIR")
    from pipeline.office_session import office_session

    single = len(case_dirs) == 1 and not watch  # a batch and a watch open office sessions of their own
    with office_session(optional=True) if single else contextlib.nullcontext() as session:
        if session is not None and _converts_probably(case_dirs[0], output_root, no_cache):
            # LibreOffice, the slowest part of a build, starts now and is ready by the time the Word
            # documents are merged.
            session.warm_up()
        from pipeline.libraries import import_weasyprint

        import_weasyprint()  # before pipeline.build imports it the slow way
        from pipeline.build import BuildOptions
        from pipeline.build import build as build_case
        from pipeline.model import Destination, Language

        options = BuildOptions(
            output_root=output_root,
            language=Language(lang) if lang else None,
            timeout=timeout,
            cache=not no_cache,
            destination=Destination(destination) if destination else None,
            ocr=ocr,
            compress=compress,
            redact=redact,
        )
        if watch:
            from pipeline.watch import watch as watch_case

            watch_case(case_dirs[0], options, lambda line: click.echo(line, err=True))
            click.echo("stopped watching", err=True)
            return
        if len(case_dirs) == 1:
            logging.getLogger("pipeline").info("building %s", case_dirs[0])
            result = build_case(case_dirs[0], options)
            logging.getLogger("pipeline").info("built %s (%d pages)", result.output, result.pages)
            if result.rules:
                destination_name = (options.destination or result.case.data.bundle.destination or "").upper()
                lines = [
                    f"{destination_name} rules (published court and platform rules; not legal advice):",
                    *(f"  {rule}" for rule in result.rules),
                ]
                click.echo("\n".join(lines), err=True)
            click.echo(str(result.bundle))
            return
        _build_batch(list(case_dirs), options, jobs)


def _one_output_each(case_dirs: tuple[Path, ...], output_root: Path) -> tuple[Path, ...]:
    """Each case folder once, in the order given; refuse two folders of one name, which would be built
    into one output folder, the second over the first (`cases/*/appeal`, say)."""
    named: dict[str, Path] = {}
    for case_dir in case_dirs:
        name = case_dir.resolve().name
        first = named.setdefault(name, case_dir)
        if first.resolve() != case_dir.resolve():
            raise click.UsageError(
                f"{first} and {case_dir} would both be built into {output_root / name}, the second over "
                "the first: rename one of the folders, or build them one at a time with different -o"
            )
    return tuple(named.values())


def _converts_probably(case_dir: Path, output_root: Path, no_cache: bool) -> bool:
    """Whether a build of `case_dir` will probably need LibreOffice, judged from file times before anything
    is imported: yes without an earlier bundle or the cache, or when case.yaml, a Word template of the
    case or an evidence file changed after the bundle was written (the Word documents and office exhibits
    come from these). A wrong guess costs time, never a wrong output: a LibreOffice started early for
    nothing is stopped unused, one not started early starts when needed."""
    if no_cache:
        return True
    try:
        built = (output_root / case_dir.name / "bundle.pdf").stat().st_mtime
    except OSError:
        return True
    templates = case_dir / "templates"
    for path in case_dir.rglob("*"):
        if path.is_relative_to(templates) and path.suffix.lower() != ".docx":
            continue  # an HTML or text template: WeasyPrint's or Jinja's work
        with contextlib.suppress(OSError):
            if path.is_file() and path.stat().st_mtime > built:
                return True
    return False


def _build_batch(case_dirs: list[Path], options: Any, jobs: int) -> None:
    from concurrent.futures.process import BrokenProcessPool

    from pipeline.batch import Outcome, build_many
    from pipeline.limits import Terminated

    done: list[Outcome] = []  # as they end, for a batch stopped half way
    try:
        label = f"building {len(case_dirs)} cases"  # (all a log file shows of the bar)
        logged = not sys.stderr.isatty() and logging.getLogger().isEnabledFor(logging.INFO)  # a log file:
        # a line as each case ends (the bar shows only its label there); not with --quiet
        with click.progressbar(length=len(case_dirs), label=label, file=sys.stderr) as bar:

            def ended(outcome: Outcome) -> None:
                done.append(outcome)
                bar.update(1)
                if logged:
                    click.echo(f"[{len(done)}/{len(case_dirs)}] {outcome.progress_line}", err=True)

            outcomes = build_many(case_dirs, options, jobs=jobs, progress=ended)
    except KeyboardInterrupt:
        _stopped(case_dirs, done, "interrupted", 130)
    except Terminated as stopped:  # SIGTERM, or SIGHUP (`HungUp`)
        _stopped(case_dirs, done, f"stopped ({stopped.signum.name})", 128 + stopped.signum)
    except BrokenProcessPool:  # the system killed a worker (out of memory, say): the others were stopped
        unclean = UNCLEAN.format(scratch=options.output_root / ".<case>.building-*")
        _stopped(case_dirs, done, "stopped: a worker process was killed (out of memory?)", 1, unclean)
    _report_batch(outcomes)
    if not all(outcome.ok for outcome in outcomes):
        sys.exit(1)


STOPPED = "were stopped or not begun: nothing of them was written, their earlier outputs are as they were"
UNCLEAN = (
    "did not end; the one the killed worker was building may have left its scratch folder ({scratch}), "
    "which can be deleted"
)


def _stopped(case_dirs: list[Path], done: list[Any], how: str, code: int, others: str = STOPPED) -> NoReturn:
    """A batch stopped half way: the cases that ended before, and a line for the `others`."""
    order = {str(case_dir): index for index, case_dir in enumerate(case_dirs)}
    _report_batch(sorted(done, key=lambda outcome: order[outcome.case]))
    left = len(case_dirs) - len(done)
    click.echo(f"{how} after {len(done)} of {len(case_dirs)} cases; the other {left} {others}", err=True)
    sys.exit(code)


def _report_batch(outcomes: list[Any]) -> None:
    """Each bundle built on a line of its own (standard output), then the summary table (standard error)."""
    from pipeline.batch import summary

    for outcome in outcomes:
        if outcome.bundle is not None:
            click.echo(str(outcome.bundle))
    if outcomes:
        click.echo(summary(outcomes), err=True)


@main.command()
def schema() -> None:
    """Print the JSON Schema of case.yaml (editors use it to autocomplete and check case files)."""
    from pipeline.schema import case_schema

    click.echo(json.dumps(case_schema(), indent=2, ensure_ascii=False))


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option(
    "--to",
    multiple=True,
    metavar="NAME|ADDRESS",
    help="Who gets the bundle: a name from case.yaml (counsel, or one of send.recipients) or an email "
    "address; repeat for more. Default: send.to of case.yaml.",
)
@click.option(
    "--cc", multiple=True, metavar="NAME|ADDRESS", help="Who is copied. Default: send.cc of case.yaml."
)
@output_option("Folder that holds the case's build (OUTPUT/<case name>/).")
@click.option("--build", "build_first", is_flag=True, help="Build the case first.")
@click.option(
    "--dry-run", is_flag=True, help="Write the message to OUTPUT/<case>/outbox/ instead of sending it."
)
@click.option("--resend", is_flag=True, help="Send even to someone who already received this bundle.")
@click.option(
    "--docx/--no-docx",
    "attach_docx",
    default=None,
    help="Also attach the editable Word files. Default: send.attach_docx of case.yaml.",
)
@click.option(
    "--max-size",
    type=click.FloatRange(min=0, min_open=True),
    metavar="MB",
    help="Largest message to send, in MB. Default: send.max_size_mb of case.yaml (20).",
)
@reports_errors
def send(
    case_dir: Path,
    to: tuple[str, ...],
    cc: tuple[str, ...],
    output_root: Path,
    build_first: bool,
    dry_run: bool,
    resend: bool,
    attach_docx: bool | None,
    max_size: float | None,
) -> None:
    """Email the bundle of CASE_DIR's latest build, once, and record it in OUTPUT/<case>/sent.jsonl.

    The mail server is set with BUILD_APPEAL_SMTP_* variables or ~/.config/build-appeal/smtp.toml
    (docs/sending.md); without one, this is a dry run.
    """
    from pipeline.send import SendOptions
    from pipeline.send import send as send_bundle

    options = SendOptions(
        output_root=output_root,
        to=to,
        cc=cc,
        dry_run=dry_run,
        resend=resend,
        build=build_first,
        attach_docx=attach_docx,
        max_size_mb=max_size,
    )
    prompt = (lambda text: str(click.prompt(text, hide_input=True))) if sys.stdin.isatty() else None
    result = send_bundle(case_dir, options, prompt=prompt)
    click.echo(result.report())


@main.command()
@click.argument("case_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of the table.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Count the days left from this date instead of today.",
)
@reports_errors
def status(case_dirs: tuple[Path, ...], as_json: bool, today: Any) -> None:
    """Show each case's next deadline, nearest first: case number, plaintiff, platform, the deadline with
    its rule, days left, amount frozen and accused revenue.

    Without CASE_DIR, every folder under cases/ that has a case.yaml. A case whose case.yaml is invalid is
    listed with its first error, and the exit code is 1. The dates are computed from case.yaml under the
    FRCP; they are not legal advice: check the docket.
    """
    import datetime as dt

    from pipeline.deadlines import case_folders, case_statuses, status_json, status_table
    from pipeline.tables import terminal_columns

    day = today.date() if today else dt.date.today()
    statuses = case_statuses(list(case_dirs) or case_folders(Path("cases")), day)
    if as_json:
        click.echo(json.dumps(status_json(statuses, day), indent=2, ensure_ascii=False))
    else:
        click.echo(status_table(statuses, day, terminal_columns(sys.stdout)))
    if any(status.error for status in statuses):
        sys.exit(1)


DESTINATIONS = click.Choice(["platform", "court", "email"])


@main.command()
@click.argument("case_dir", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["en", "zh", "bilingual"]), help="Language of the documents.")
@click.option("--platform", help="The marketplace: Alibaba.com, AliExpress, Amazon, Walmart, DHgate, ...")
@click.option("--merchant", help="The company's name in English.")
@click.option("--merchant-zh", help="The company's name in Chinese.")
@click.option("--store", help="The store's name on the platform.")
@click.option("--contact", help="The contact person.")
@click.option("--email", help="The contact e-mail address.")
@click.option("--phone", help="The contact phone number.")
@click.option("--address", help="The company's address.")
@click.option("--case-number", help="The case number, e.g. 1:24-cv-02015.")
@click.option("--court", help="The court, in full, as the platform's notice names it.")
@click.option("--plaintiff", help="The plaintiff, as in the caption.")
@click.option("--firm", help="The plaintiff's law firm.")
@reports_errors
def init(case_dir: Path, lang: str | None, platform: str | None, **given: str | None) -> None:
    """Start a case in CASE_DIR: a commented case.yaml and an empty evidence/ folder.

    On a terminal, asks for what the options did not give (Enter leaves a TODO to fill in later);
    otherwise only the options are used. Never overwrites an existing case.yaml. Next: add the evidence,
    replace every TODO, then `build-appeal check CASE_DIR`."""
    from pipeline.model import Language, Platform, email_address, normalize_case_number, platform_named
    from pipeline.start import QUESTIONS, Answers, start_case

    asking = _interactive()
    if asking and lang is None:
        lang = click.prompt(
            "Language / 文件语言", type=click.Choice(["en", "zh", "bilingual"]), default="bilingual"
        )
    known = ", ".join(member.value for member in Platform)
    if asking and platform is None:

        def answered(value: str) -> str:  # (a wrong answer is asked again)
            named = platform_named(value)
            if named is None:
                raise click.BadParameter(f"{value!r} is not one of {known}")
            return named.value

        platform = click.prompt(
            f"Platform / 平台 ({known})", default=Platform.ALIBABA.value, value_proc=answered
        )
    checked = {"email": ("--email", email_address), "case_number": ("--case-number", normalize_case_number)}

    def valid(name: str, value: str) -> str:  # (at a question, a wrong answer is asked again)
        option, check = checked.get(name, ("", str))
        try:
            return check(value.strip()) if value.strip() else ""
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=option or None) from None

    answers = {name: valid(name, value) if value else value for name, value in given.items()}
    for name, question in QUESTIONS.items():
        if asking and not answers.get(name):
            proc = functools.partial(valid, name)
            answers[name] = click.prompt(question, default="", show_default=False, value_proc=proc) or None
    named = platform_named(platform) if platform else None
    if platform and named is None:
        raise click.BadParameter(f"{platform!r} is not one of {known}", param_hint="--platform")
    path = start_case(
        case_dir,
        Answers(
            language=Language(lang or "bilingual"),
            platform=named,
            **{key: value for key, value in answers.items() if value},  # type: ignore[arg-type]
        ),
    )
    click.echo(f"wrote {path} and {case_dir / 'evidence'}/; next: fill in every TODO, add evidence, then")
    click.echo(f"  build-appeal check {shlex.quote(str(case_dir))}")


def _interactive() -> bool:
    """Whether someone is at a terminal to answer questions."""
    return sys.stdin.isatty() and sys.stdout.isatty()


@main.command()
@click.argument("case_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--for", "destination", type=DESTINATIONS, help="Check this destination's rules too.")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh", "bilingual"]),
    help="Check for this language of the documents, as `build-appeal --lang` builds them.",
)
@reports_errors
def check(case_dirs: tuple[Path, ...], destination: str | None, lang: str | None) -> None:
    """Check each CASE_DIR without building it: case.yaml, evidence files, templates, fonts, the
    destination's rules and the redaction check, in a second or two a case. Exit code 1 if any
    case has an error (warnings do not count)."""
    from pipeline.check import check_case, summary
    from pipeline.model import Destination, Language

    chosen = Destination(destination) if destination else None
    reports = [check_case(folder, chosen, Language(lang) if lang else None) for folder in case_dirs]
    click.echo(summary(reports), err=True)
    if destination:
        click.echo(f"({destination}: published court and platform rules; not legal advice)", err=True)
    if not all(report.ok for report in reports):
        sys.exit(1)


def run() -> None:
    """The console script (`build-appeal`, `python -m pipeline`): the command line, then an exit that
    leaves the build's memory to the operating system.

    A build ends with hundreds of thousands of objects in reference cycles (WeasyPrint's boxes, pypdf's
    objects) that the garbage collector would walk once more while Python shuts down: 0.75 s after a
    2,000-page build. Frozen, they are freed with the whole process; `atexit` handlers still run. Only
    here: a program that calls `main` in-process (the tests) keeps its collector as it was."""
    try:
        main()
    finally:
        gc.freeze()
