"""A shopper who forgot the password: "Forgot your password?" on the sign-in page, the
e-mailed link, a new password, and signing in with it."""

import re
from typing import Any

from django.core import mail

from customers.services import customer_register
from tests.browser_support import BROWSER_MARKS, shopper_login

pytestmark = BROWSER_MARKS


def test_shopper_resets_a_forgotten_password_and_signs_in(page, transactional_db) -> None:  # type: ignore[no-untyped-def]
    customer_register(email="ada@example.com", password="forgotten-123", first_name="Ada")
    mail.outbox = []
    page.goto(page.base + "/account/login/")
    page.get_by_test_id("forgot-password").click()
    page.wait_for_url("**/account/password-reset/")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_test_id("password-reset-submit").click()
    sent = page.get_by_test_id("password-reset-sent")
    sent.wait_for()
    assert "ada@example.com" in sent.inner_text()
    assert len(mail.outbox) == 1  # the live server runs in this process: same outbox

    # the e-mail's link names SITE_URL; the path is what the live server answers
    link: Any = re.search(r"/account/reset/[^/\s]+/[^/\s]+/", mail.outbox[0].body)
    assert link is not None
    page.goto(page.base + link.group(0))
    page.get_by_label("New password").fill("brand-new-Passw0rd")
    page.get_by_label("Repeat it").fill("brand-new-Passw0rd-typo")
    page.get_by_test_id("password-set-submit").click()
    page.locator(".form-error").filter(has_text="differ").wait_for()
    page.get_by_label("Repeat it").fill("brand-new-Passw0rd")
    page.get_by_test_id("password-set-submit").click()
    page.get_by_test_id("password-set-done").wait_for()

    shopper_login(page, email="ada@example.com", password="brand-new-Passw0rd")
    assert page.url.endswith("/account/")
