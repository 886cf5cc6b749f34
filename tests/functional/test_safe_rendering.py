"""Customer text is data: template syntax and markup arrive literally, escaped in HTML."""

from __future__ import annotations


def test_template_syntax_in_subject_and_body_is_never_evaluated(runtime, mail):
    raw = mail(sender="Eve <eve@customer.example>", subject="{{ 7*7 }} {% raw %} <script>alert(1)</script>",
               body="{{ config }} {% for x in range(3) %}boom{% endfor %}\n<img src=x onerror=alert(1)>")
    outcome = runtime.deliver(raw)
    assert outcome["outcome"] == "created"
    [ack] = runtime.customer_emails()
    assert "{{ 7*7 }}" in ack.subject and "49" not in ack.subject
    text, html = ack.body("plain"), ack.body("html")
    assert "{{ config }}" in text and "boomboomboom" not in text
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>" not in html


def test_display_name_with_newlines_cannot_add_headers(runtime, mail):
    outcome = runtime.deliver(mail(sender='"Eve\\r\\nBcc: all@x.example" <eve@customer.example>'))
    [ack] = runtime.customer_emails()
    assert ack.message["Bcc"] is None and outcome["outcome"] == "created"
