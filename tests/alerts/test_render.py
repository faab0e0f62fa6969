"""Email rendering: the subject is redacted whole and cut afterwards, so a secret that straddles
the 200-character cut is masked, not half shown."""

from __future__ import annotations

from alerts.render import SUBJECT_MAX, render_group
from core.redact import Redactor

SECRET = "subjsecret-4f9c2a71e0"


def test_a_secret_straddling_the_subject_cut_is_masked() -> None:
    redactor = Redactor([SECRET])
    prefix = len("[DEGRADED] it/probe — degraded: ")
    for shift in range(1, len(SECRET)):
        reason = "r" * (SUBJECT_MAX - prefix - shift) + SECRET + " and more"
        payload = {"integration": "it", "probe": "probe", "kind": "degraded",
                   "degraded_reason": reason}
        rendered = render_group("degraded", [payload], others={},
                                dashboard_url="http://localhost:8501", flap_window_s=3600,
                                redactor=redactor)
        assert len(rendered.subject) <= SUBJECT_MAX
        for n in range(6, len(SECRET) + 1):
            assert SECRET[:n] not in rendered.subject, (shift, rendered.subject)
        assert SECRET not in rendered.text and SECRET not in rendered.html
