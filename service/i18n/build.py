"""Compile the gettext catalogues (messages.po -> messages.mo); `make messages` runs it."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from service.i18n import TRANSLATIONS


def compile_catalogues(root: Path = TRANSLATIONS) -> list[Path]:
    """Write messages.mo beside every messages.po under `root`; the written paths."""
    written = []
    for po in sorted(root.glob("*/LC_MESSAGES/messages.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog)
        written.append(mo)
    return written


if __name__ == "__main__":
    for path in compile_catalogues():
        print(path)
