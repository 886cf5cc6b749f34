"""Subjects carry one ticket tag, at most one `Re:`, and single spaces: the defects from the demo
and every real subject in ../shared/corpus, as customers' clients send them."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import pytest

from helpdesk.messages.subjects import base_subject, tidy_subject
from tests.conftest import ROOT

CORPUS = ROOT.parent / "shared" / "corpus"
REPLY_PREFIX = re.compile(r"(?:^|[\]:]\s*)(?:re|aw|sv|fwd?)\s*:", re.I)


@pytest.mark.parametrize(("raw", "tidy"), [
    (" [#1001] Low rating", "[#1001] Low rating"),
    (" [#1001] Debrief due Tue 24 Nov 2026:  Site down", "[#1001] Debrief due Tue 24 Nov 2026: Site down"),
    ("[#1001] Re: Re: [#1001] Login broken", "[#1001] Re: Login broken"),
    ("[#1002] Re: Re: [#1001] Export fails", "[#1002] Re: Export fails"),
    ("[#1001] Update 2: RE: AW: Login broken", "[#1001] Update 2: Login broken"),
    ("[#1001] Re:", "[#1001] Re:"),
    ("[#7] Question re: billing", "[#7] Question re: billing"),
    ("Re: [#1001] Re: [#998] Re:  Login", "Re: [#1001] Login"),
])
def test_demo_subjects_are_tidied(raw, tidy):
    assert tidy_subject(raw) == tidy


def _corpus_subjects() -> list[str]:
    if not CORPUS.is_dir():
        return []
    found = []
    for path in sorted(CORPUS.rglob("*.eml")):
        try:
            subject = BytesParser(policy=policy.default).parsebytes(path.read_bytes(), headersonly=True)["subject"]
        except Exception:  # noqa: BLE001 - malformed corpus headers are other tests' business
            continue
        if subject:
            found.append(str(subject))
    labelled = CORPUS / "labelled" / "support-emails.yaml"
    if labelled.exists():
        found += re.findall(r"^\s*subject:\s*['\"]?(.*?)['\"]?\s*$", labelled.read_text(), re.M)
    return found


def test_every_real_subject_gets_one_tag_one_re_and_single_spaces():
    subjects = _corpus_subjects()
    if not subjects:
        pytest.skip("../shared/corpus is not beside this checkout")
    assert len(subjects) > 200
    for subject in subjects:
        for shape in (f"[#1001] Re: {subject}", f"[#1001] Re: Re: [#1001] {subject}", f" [#1001] Update 3:  {subject}",
                      f"[#1002] Re: Re: [#998] {subject}", f"Re: [#1003] Re: {subject}"):
            tidy = tidy_subject(shape)
            tag = shape.removeprefix("Re: ").strip().split(" ", 1)[0]
            assert tag in tidy.split(" ")[:2], (shape, tidy)
            assert tidy.count("[#") == 1 + base_subject(subject).count("[#"), (shape, tidy)
            assert "  " not in tidy and tidy == tidy.strip(), (shape, tidy)
            assert len(REPLY_PREFIX.findall(tidy)) <= 1, (shape, tidy)
        assert base_subject(base_subject(subject)) == base_subject(subject), subject
