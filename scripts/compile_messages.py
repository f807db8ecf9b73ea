"""Compile every peyvand/locale/*/LC_MESSAGES/*.po into .mo with Babel (no GNU gettext needed to install).

Usage: python scripts/compile_messages.py [--check]  (--check: fail on fuzzy or untranslated entries)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent / "peyvand" / "locale"


def main() -> int:
    check = "--check" in sys.argv
    problems = []
    for po_path in sorted(ROOT.glob("*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        if check:
            for message in catalog:
                if not message.id:
                    continue
                strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
                if message.fuzzy or not all(strings):
                    problems.append(
                        f"{po_path.relative_to(ROOT.parent.parent)}: untranslated or fuzzy: "
                        f"{message.id if isinstance(message.id, str) else message.id[0]!r}"
                    )
        with po_path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
