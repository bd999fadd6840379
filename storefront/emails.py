"""Transactional e-mail, shared by the apps that write to shoppers (orders, support)."""

import logging
from typing import Any

from django.core.mail import send_mail
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def email_send(*, subject: str, template: str, context: dict[str, Any], to: str, what: str) -> bool:
    """Render a plain-text template and mail it to one address; True when handed to the
    backend. A failure is logged as "<what> e-mail not sent (<exception type>)" and not
    raised: the exception's text is left out, as an SMTP error's can name the recipient."""
    try:
        send_mail(
            subject=subject,
            message=render_to_string(template, context),
            from_email=None,  # DEFAULT_FROM_EMAIL
            recipient_list=[to],
        )
    except Exception as exc:  # any mail failure: logged, never raised
        logger.error("%s e-mail not sent (%s)", what, type(exc).__name__)
        return False
    return True
