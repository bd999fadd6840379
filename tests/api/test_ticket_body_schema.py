"""The support ticket body: the schema says what the API refuses (an empty body)."""

import pytest
from rest_framework.test import APIClient

from support.models import Ticket
from tests.api.test_contract_findings import _error

pytestmark = pytest.mark.django_db

API = "/api/v1/support/tickets/"
EMPTY = "Message is empty: please describe your question."


def test_ticket_and_reply_bodies_are_documented_non_empty_and_refused_empty(
    api_client: APIClient,
) -> None:
    schema = api_client.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in ("TicketCreateApiInputRequest", "TicketCustomerReplyApiInputRequest"):
        assert schema[name]["properties"]["body"] == {"type": "string", "minLength": 1}, name
        assert "body" in schema[name]["required"]
    guest = {"email": "ada@example.com"}
    for body in ("", "   "):  # blank at the field, whitespace-only in clean_body: one message
        refused = api_client.post(API, {**guest, "body": body}, format="json")
        assert _error(refused, 400, "invalid")["body"] == [EMPTY], body
    assert not Ticket.objects.exists()
    created = api_client.post(API, {**guest, "body": "Where is my parcel?"}, format="json")
    assert created.status_code == 201, created.content
    reply_url = f"{API}{created.json()['id']}/messages/"
    for body in ("", "   "):
        refused = api_client.post(reply_url, {"body": body}, format="json")
        assert _error(refused, 400, "invalid")["body"] == [EMPTY], body
    assert api_client.post(reply_url, {"body": "Any news?"}, format="json").status_code == 201
