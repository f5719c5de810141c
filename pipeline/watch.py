"""Watch a case and build it again whenever case.yaml, an evidence file or a template changes.

Every build goes through the cache (unless --no-cache), so only the parts whose inputs changed are made
again, and one
LibreOffice stays running for all of them; the time each build took is printed. A failed build prints its
error and the watch goes on: the previous outputs stay as they were until the next build succeeds. Ctrl-C
stops watching.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import user_error
from pipeline.limits import Terminated, collect_garbage

if TYPE_CHECKING:
    from pipeline.build import BuildOptions

WAKE_MS = 200
"""How long the watcher waits for a change before it hands back an empty set: the first such wake-up says
it is running, so "watching" is printed only once a change saved after it will be seen."""


def watch(
    case_folder: Path,
    options: BuildOptions,
    report: Callable[[str], None],
    *,
    stop: threading.Event | None = None,
    debounce_ms: int = 300,
) -> int:
    """Build the case, then build it again after every change to its inputs until `stop` is set or the
    user presses Ctrl-C; `report` receives one line per build. Returns the number of builds."""
    from watchfiles import watch as changes

    from pipeline.office_session import office_session
    from pipeline.render import default_templates_folder

    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # its own "3 changes detected" lines
    folders = [case_folder, default_templates_folder()]
    inputs = _InputsOnly()
    builds = 1
    try:
        with office_session() as session:  # one LibreOffice for every build while watching
            session.warm_up()  # starting while the first build merges its templates
            _build(case_folder, options, report)
            watching = False
            for changed in changes(
                *folders,
                watch_filter=inputs,
                stop_event=stop,
                debounce=debounce_ms,
                raise_interrupt=True,  # else it logs "KeyboardInterrupt caught, stopping watch" and returns
                ignore_permission_denied=True,
                rust_timeout=WAKE_MS,
                yield_on_timeout=True,
            ):
                if not watching:  # the watcher has answered once (a change, or none for a while): it runs
                    report(f"watching {case_folder} and the templates for changes; press Ctrl-C to stop")
                    watching = True
                if not changed:
                    continue
                # Files that are gone again (an editor's or sed's temporary copies) are not worth naming.
                paths = {Path(path) for _, path in changed}
                shown = {path for path in paths if path.exists()} or paths
                names = sorted({_shown(path, folders) for path in shown})
                more = f" and {len(names) - 5} more" if len(names) > 5 else ""
                report(f"changed: {', '.join(names[:5])}{more}")
                _build(case_folder, options, report)
                builds += 1
    except (KeyboardInterrupt, Terminated):
        pass  # Ctrl-C or SIGTERM, during a build or while watchfiles waits (it raises both as Ctrl-C): stop
    return builds


def _build(case_folder: Path, options: BuildOptions, report: Callable[[str], None]) -> None:
    from pipeline.build import build

    started = time.monotonic()
    try:
        result = build(case_folder, options)
    except Exception as error:  # (a stop is no Exception: Ctrl-C and SIGTERM end the watch)
        actionable = user_error(error, options.output_root)  # (a full disk: a save builds once freed)
        if actionable is not None:
            report(f"error: {actionable}")
        else:  # a bug: said in one line, as a single build says it, and the next save builds again
            logging.getLogger(__name__).debug("unexpected failure building %s", case_folder, exc_info=True)
            report(
                f"error: the build failed unexpectedly ({type(error).__name__}: {error}); build the case "
                "once without --watch, with --debug, and report the output"
            )
        kept = (
            "the previous outputs are kept"
            if (options.output_root / case_folder.name).is_dir()
            else "nothing was written"
        )
        report(f"build failed after {time.monotonic() - started:.1f} s; {kept}")
    else:
        report(
            f"built {result.bundle} ({result.pages} pages) in {time.monotonic() - started:.1f} s "
            f"({result.reused} parts reused, {result.made} made)"
        )
    finally:
        collect_garbage()  # the build's, in cycles, before the next: else a watch grows build by build


class _InputsOnly:
    """watchfiles' filter: its default (no .git, no __pycache__, no swap files), less editor debris."""

    def __init__(self) -> None:
        from watchfiles import DefaultFilter

        from pipeline.render import EDITOR_DEBRIS

        self.default = DefaultFilter()
        self.debris = EDITOR_DEBRIS

    def __call__(self, change: object, path: str) -> bool:
        name = Path(path).name
        return self.default(change, path) and not name.startswith(self.debris)  # type: ignore[arg-type]


def _shown(path: Path, folders: list[Path]) -> str:
    """The changed file as the user knows it: relative to the case folder, or a default template."""
    case, defaults = (folder.resolve() for folder in folders)
    path = path.resolve()
    if path.is_relative_to(case):
        return path.relative_to(case).as_posix()
    if path.is_relative_to(defaults):
        return f"default template {path.relative_to(defaults).as_posix()}"
    return str(path)
