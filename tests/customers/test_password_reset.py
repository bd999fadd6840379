"""Forgot password, as every shop has it: an e-mailed one-time link, the same answer for any
address, the store's password rules, and everyone holding the old password signed out."""

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

RESET = "/api/v1/account/password-reset/"
CONFIRM = "/api/v1/account/password-reset/confirm/"
LINK = re.compile(r"/account/reset/(?P<uid>[^/]+)/(?P<token>[^/]+)/")


def _shopper(password: str = "old-secret-123") -> Any:
    customer = CustomerFactory(
        user__username="ada@example.com", user__email="ada@example.com", user__first_name="Ada"
    )
    customer.user.set_password(password)
    customer.user.save()
    return customer.user


def _request_link(client: APIClient, email: str, callbacks: Any) -> Any:
    with callbacks(execute=True):
        return client.post(RESET, {"email": email}, format="json")


def test_the_link_sets_a_new_password_once_and_signs_out_everywhere(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = _shopper()
    Token.objects.create(user=user)
    elsewhere = Client()
    elsewhere.force_login(user)
    client = APIClient()

    asked = _request_link(client, "ADA@example.com", django_capture_on_commit_callbacks)
    assert asked.status_code == 202 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"] and "Hello Ada" in message.body
    link = LINK.search(message.body)
    assert link is not None
    page = Client().get(link.group(0))
    done = client.post(CONFIRM, {**link.groupdict(), "new_password": "n3w-Passw0rd!"})
    again = client.post(CONFIRM, {**link.groupdict(), "new_password": "an0ther-Passw0rd"})

    assert page.status_code == 200 and "data-password-set-form" in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    assert done.status_code == 204
    user.refresh_from_db()
    assert user.check_password("n3w-Passw0rd!")
    assert again.status_code == 400 and "token" in again.json()  # the link works once
    assert not Token.objects.filter(user=user).exists()
    assert elsewhere.get("/api/v1/account/").status_code in (401, 403)  # session ended
    login = client.post(
        "/api/v1/account/login/",
        {"email": "ada@example.com", "password": "n3w-Passw0rd!"},
        format="json",
    )
    assert login.status_code == 200, login.json()
    used = Client().get(link.group(0)).content.decode()
    assert 'data-testid="password-reset-expired"' in used


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _shopper()
    client = APIClient()

    unknown = _request_link(client, "nobody@example.com", django_capture_on_commit_callbacks)
    known = _request_link(client, "ada@example.com", django_capture_on_commit_callbacks)
    bad = client.post(RESET, {"email": "not an address"}, format="json")

    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert bad.status_code == 400 and "email" in bad.json()


def test_a_weak_password_or_a_forged_token_is_a_400_that_changes_nothing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = _shopper()
    client = APIClient()
    _request_link(client, "ada@example.com", django_capture_on_commit_callbacks)
    link = LINK.search(mail.outbox[0].body)
    assert link is not None

    weak = client.post(CONFIRM, {**link.groupdict(), "new_password": "password"})
    forged = client.post(CONFIRM, {"uid": link["uid"], "token": "abc-123", "new_password": "x"})
    garbage = client.post(CONFIRM, {"uid": "!!", "token": "abc", "new_password": "x"})

    assert weak.status_code == 400 and "new_password" in weak.json()
    assert "too common" in weak.json()["new_password"][0]
    assert forged.status_code == 400 and "token" in forged.json()
    assert garbage.status_code == 400 and "token" in garbage.json()
    user.refresh_from_db()
    assert user.check_password("old-secret-123")
    # the refused tries did not use up the link
    assert (
        client.post(CONFIRM, {**link.groupdict(), "new_password": "n3w-Passw0rd!"}).status_code
        == 204
    )


def test_the_sign_in_page_links_to_the_reset_form() -> None:
    html = Client().get("/account/login/").content.decode()
    form = Client().get("/account/password-reset/").content.decode()

    assert 'href="/account/password-reset/"' in html
    assert "data-password-reset-form" in form


def test_a_signed_in_shopper_changes_the_password_and_stays_signed_in_here_only() -> None:
    user = _shopper()
    Token.objects.create(user=user)
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)

    wrong = here.post(
        "/api/v1/account/password/",
        {"current_password": "guess", "new_password": "n3w-Passw0rd!"},
        content_type="application/json",
    )
    weak = here.post(
        "/api/v1/account/password/",
        {"current_password": "old-secret-123", "new_password": "12345678"},
        content_type="application/json",
    )
    done = here.post(
        "/api/v1/account/password/",
        {"current_password": "old-secret-123", "new_password": "n3w-Passw0rd!"},
        content_type="application/json",
    )

    assert wrong.status_code == 400 and "current_password" in wrong.json()
    assert weak.status_code == 400 and "new_password" in weak.json()
    assert done.status_code == 204
    user.refresh_from_db()
    assert user.check_password("n3w-Passw0rd!")
    assert here.get("/api/v1/account/").status_code == 200  # this session kept
    assert elsewhere.get("/api/v1/account/").status_code in (401, 403)
    assert not Token.objects.filter(user=user).exists()
    assert "data-password-change-form" in here.get("/account/").content.decode()
