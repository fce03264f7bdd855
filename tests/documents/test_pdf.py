"""The DOCX files convert to PDF with LibreOffice, as a head's office would print them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from documents import appendix1, appendix2, appendix3, form_docx, rights_docx
from tests.documents.test_appendix1 import DATA

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")

pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice (soffice) is not installed here; the DOCX structure is checked in "
           "test_appendix1.py and test_appendix2_3.py",
)


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_every_appendix_renders_to_pdf(lang: str, tmp_path: Path) -> None:
    assert SOFFICE is not None
    files = {
        f"appendix1-{lang}.docx": form_docx(appendix1(DATA, lang)),
        f"appendix2-{lang}.docx": form_docx(appendix2(lang)),
        f"appendix3-{lang}.docx": rights_docx(appendix3(lang)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    # A private profile: no shared state with a desktop session, no first-run dialogs.
    profile = (tmp_path / "profile").as_uri()
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), *(str(tmp_path / n) for n in files)],
        check=True, capture_output=True, timeout=180,
    )
    for name in files:
        pdf = tmp_path / name.replace(".docx", ".pdf")
        assert pdf.read_bytes().startswith(b"%PDF"), name
        if PDFTOTEXT is not None:
            text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], check=True,
                                  capture_output=True, text=True, timeout=60).stdout
            if name.startswith("appendix1"):
                assert DATA.head_name in text and DATA.received_by in text
