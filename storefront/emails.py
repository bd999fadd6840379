"""Transactional e-mail, shared by the apps that write to shoppers (orders, support)."""

import logging
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import get_template, render_to_string

logger = logging.getLogger(__name__)


def _html_alternative(template: str, context: dict[str, Any]) -> str | None:
    """The HTML twin of a ``.txt`` template (same name, ``.html``), rendered; None without one."""
    if not template.endswith(".txt"):
        return None
    try:
        html = get_template(template.removesuffix(".txt") + ".html")
    except TemplateDoesNotExist:
        return None
    return html.render(context)


def email_send(
    *,
    subject: str,
    template: str,
    context: dict[str, Any],
    to: str,
    what: str,
    headers: dict[str, str] | None = None,
) -> bool:
    """Render a plain-text template and mail it to one address; True when handed to the
    backend. When an ``.html`` template sits beside the ``.txt`` one, the mail is multipart
    (text first, HTML as the alternative mail clients prefer). ``headers`` are extra mail
    headers (a marketing mail's ``List-Unsubscribe``).

    A failure is logged as "<what> e-mail not sent (<exception type>)" and not raised: the
    exception's text is left out, as an SMTP error's can name the recipient."""
    try:
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(template, context),
            from_email=None,  # DEFAULT_FROM_EMAIL
            to=[to],
            headers=headers or None,
        )
        html = _html_alternative(template, context)
        if html is not None:
            message.attach_alternative(html, "text/html")
        message.send()
    except Exception as exc:  # any mail failure: logged, never raised
        logger.error("%s e-mail not sent (%s)", what, type(exc).__name__)
        return False
    return True
