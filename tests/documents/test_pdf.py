"""The DOCX files convert to PDF with LibreOffice, as a head's office would print them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from documents import appendix1, appendix2, appendix3, form_docx, rights_docx
from tests.support import needs
from tests.support.documents import DATA

# Rendering does not touch the database.
pytestmark = needs.run_once


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_appendix_renders_to_pdf(lang: str, tmp_path: Path) -> None:
    # Skipped on a developer's machine without them, a failure in CI (which installs both).
    soffice = needs.program("soffice", "apt-get install libreoffice-writer-nogui")
    pdftotext = needs.program("pdftotext", "apt-get install poppler-utils")
    sheets = {
        f"appendix1-{lang}.docx": (form_docx, appendix1(DATA, lang)),
        f"appendix2-{lang}.docx": (form_docx, appendix2(lang)),
        f"appendix3-{lang}.docx": (rights_docx, appendix3(lang)),
    }
    for name, (render, sheet) in sheets.items():
        (tmp_path / name).write_bytes(render(sheet))
    # A private profile: no shared state with a desktop session, no first-run dialogs.
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            *(str(tmp_path / n) for n in sheets),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    for name, (_render, sheet) in sheets.items():
        pdf = tmp_path / name.replace(".docx", ".pdf")
        assert pdf.read_bytes().startswith(b"%PDF"), name
        text = subprocess.run(
            [pdftotext, "-layout", str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
        # Kazakh letters and the title survive the conversion (no missing glyph boxes).
        assert " ".join(sheet.title.split()[:3]) in " ".join(text.split()), name
        if name.startswith("appendix1"):
            assert DATA.head_name in text and DATA.received_by in text
