import io

import pytest

from support.models import Message, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/support/tickets/"


@pytest.mark.parametrize(
    "body",
    ["", "x" * (1024 * 1024), "\x07\x08\x1b\x0e" * 40 + "hello", "\ufffd\ufffd\ufffd\ufffd" * 20],
)
def test_bad_body_gets_clear_400_and_nothing_stored(api_client, body: str) -> None:  # type: ignore[no-untyped-def]
    r = api_client.post(URL, {"body": body, "email": "a@b.io"}, format="json")
    assert r.status_code == 400
    assert r.json()["body"][0]
    assert Ticket.objects.count() == 0 and Message.objects.count() == 0


def test_raw_binary_upload_is_a_400(api_client) -> None:  # type: ignore[no-untyped-def]
    r = api_client.generic("POST", URL, bytes(range(256)) * 10, content_type="application/json")
    assert r.status_code == 400
    assert Ticket.objects.count() == 0


def test_guest_needs_an_email(api_client) -> None:  # type: ignore[no-untyped-def]
    r = api_client.post(URL, {"body": "where is my parcel"}, format="json")
    assert r.status_code == 400 and "email" in r.json()


def test_customer_creates_and_lists_own_tickets(shopper_client, api_client) -> None:  # type: ignore[no-untyped-def]
    r = shopper_client.post(
        URL, {"subject": "Password", "body": "I forgot my password"}, format="json"
    )
    assert r.status_code == 201
    body = r.json()
    assert body["messages"][0]["author"] == "customer" and body["status"]
    # the help desk's triage is not the shopper's to read
    hidden = {"intent", "intent_confidence", "sentiment", "priority", "queue"}
    assert not hidden & set(body)
    assert Ticket.objects.get(pk=body["id"]).intent  # triaged all the same
    api_client.post(URL, {"body": "someone else's ticket", "email": "z@z.io"}, format="json")
    mine = shopper_client.get(URL + "mine/").json()
    assert mine["count"] == 1 and mine["next"] is None
    assert [t["id"] for t in mine["results"]] == [body["id"]]
    r = shopper_client.post(f"{URL}{body['id']}/human/")
    assert r.status_code == 200 and r.json()["wants_human"]
    assert api_client.get(URL + "mine/").status_code in (401, 403)


def test_cannot_ask_for_a_person_on_someone_elses_ticket(shopper_client, api_client) -> None:  # type: ignore[no-untyped-def]
    other = api_client.post(
        URL, {"body": "my parcel is late", "email": "z@z.io"}, format="json"
    ).json()
    assert shopper_client.post(f"{URL}{other['id']}/human/").status_code == 404


def test_suggest_answers_while_typing(api_client) -> None:  # type: ignore[no-untyped-def]
    r = api_client.get("/api/v1/support/answers/suggest/", {"q": "how do I reset my passw"})
    assert r.status_code == 200
    assert r.json()[0]["title"] == "I forgot my password"
    assert api_client.get("/api/v1/support/answers/suggest/", {"q": "a"}).status_code == 400


def test_staff_import_reply_and_correct(staff_client) -> None:  # type: ignore[no-untyped-def]
    f = io.BytesIO(b"external_id,email,body\nm1,a@b.io,Please cancel my order\n")
    f.name = "mail.csv"
    r = staff_client.post(URL + "import/", {"file": f}, format="multipart")
    assert r.status_code == 201 and r.json()["created"] == 1
    ticket = Ticket.objects.get(external_id="m1")
    r = staff_client.post(f"{URL}{ticket.pk}/reply/", {"use_suggestion": True}, format="json")
    assert r.status_code == 201 and r.json()["author"] == "agent"
    r = staff_client.post(f"{URL}{ticket.pk}/triage/", {"intent": "no_such_intent"}, format="json")
    assert r.status_code == 400 and "intent" in r.json()
    r = staff_client.post(f"{URL}{ticket.pk}/triage/", {"queue": "orders"}, format="json")
    assert r.status_code == 200 and r.json()["queue"] == "orders"
    assert {"intent", "intent_confidence", "sentiment", "priority"} <= set(r.json())


def test_bad_import_file_is_a_400(staff_client) -> None:  # type: ignore[no-untyped-def]
    f = io.BytesIO(b"external_id,body\nm1,ok text\nm2,\n")
    f.name = "mail.csv"
    r = staff_client.post(URL + "import/", {"file": f}, format="multipart")
    assert r.status_code == 400 and "row 2" in str(r.json())
    assert Ticket.objects.count() == 0


def test_admin_queue_and_metrics_render(staff_client, active_triager) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    from support import services
    from tests.factories import UserFactory

    services.ticket_create(body="URGENT my card was stolen and charged twice!!", email="a@b.io")
    services.ticket_create(body="how do I leave a review", email="a@b.io")
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/support/ticket/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "median time to first response" in html
    assert html.index("URGENT") < html.index("leave a review")  # most pressing first
    ticket = Ticket.objects.get(subject__startswith="how do I leave")
    r = client.post(f"/admin/support/ticket/{ticket.pk}/change/", {"_send_suggestion": "1"})
    assert r.status_code in (200, 302)
