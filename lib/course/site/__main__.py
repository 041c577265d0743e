"""``python -m lib.course.site build [OUT]`` (``make site``), ``check SITE``, and ``readme`` (its lesson times)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from lib import paths
from lib.course import handout
from lib.course.site import check, course, stage


def _size_mb(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


def main(argv: list[str] | None = None) -> int:
    """Build the site and check it (exit 1 naming every problem), or check a built one, or update README."""
    parser = argparse.ArgumentParser(prog="python -m lib.course.site", description="The course as a static site.")
    commands = parser.add_subparsers(dest="command", required=True)
    built = commands.add_parser("build", help="build the site (default: site/) and check it")
    built.add_argument("out", nargs="?", type=Path, default=None)
    built.add_argument(
        "--handout",
        action="store_true",
        help="build it from the students' hand-out (make handout): the worked solutions stay out of the site",
    )
    checked = commands.add_parser("check", help="check a built site")
    checked.add_argument("site", type=Path)
    commands.add_parser(
        "readme", help="rewrite README's lesson times and the instructors' guide's tool versions (requirements.lock)"
    )
    arguments = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if arguments.command == "readme":
        changed = course.update_readme()
        print("README's lesson times " + ("updated" if changed else "already current"))
        changed = course.update_versions()
        print("the instructors' guide's tool versions " + ("updated" if changed else "already current"))
        return 0
    site = arguments.site if arguments.command == "check" else (arguments.out or paths.PROJ_ROOT / "site")
    with tempfile.TemporaryDirectory(prefix="penguins-site-") as scratch:
        root = paths.PROJ_ROOT
        if arguments.command == "build":
            start = time.perf_counter()
            if arguments.handout:
                root = Path(scratch) / "handout"
                stubbed = handout.write(root)
                print(f"building from the hand-out: {len(stubbed)} exercise modules with their solutions stubbed")
            try:
                stage.build(site, root=root, handout=arguments.handout)
            except RuntimeError as exc:
                print(exc, file=sys.stderr)
                return 1
            pages = sum("_static" not in path.relative_to(site).parts for path in site.rglob("*.html"))
            print(f"built {pages} pages into {site} in {time.perf_counter() - start:.0f} s ({_size_mb(site):.1f} MB)")
        found = check.problems(site, root)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        return 1
    print(f"checked {site}: nothing loaded from elsewhere, every local link and anchor resolves, every table")
    print("and every word of the lessons' and guides' Markdown shows on their pages")
    print(f"open {(site / 'index.html').resolve().as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
