"""A shopper follows up on a help request in headless Chromium: reads the team's reply under
"Your requests", answers it there, and the ticket goes back to the agents."""

from customers.services import customer_register
from support import services
from support.models import Message, Ticket
from tests.browser_support import BROWSER_MARKS, SHOTS, shopper_login

PASSWORD = "a-long-pass-phrase"

pytestmark = BROWSER_MARKS


def test_shopper_reads_the_teams_reply_and_answers_it_on_the_help_page(  # type: ignore[no-untyped-def]
    page, transactional_db
) -> None:
    customer_register(email="ada@example.com", password=PASSWORD, first_name="Ada")
    shopper_login(page, email="ada@example.com", password=PASSWORD)
    page.goto(page.base + "/help/")
    page.get_by_label("Subject").fill("Add a mug")
    page.get_by_label("Your message").fill("Can I still add a second mug to my order?")
    page.get_by_role("button", name="Send message").click()
    page.get_by_test_id("ticket-created").wait_for()
    ticket = Ticket.objects.get(subject="Add a mug")
    services.ticket_reply_send(ticket_id=ticket.pk, agent_id=None, body="Yes! Which colour?")

    page.goto(page.base + "/help/")
    request = page.locator(f"[data-ticket='{ticket.pk}']")
    request.locator("summary").click()
    conversation = request.locator(".conversation")
    conversation.get_by_text("Yes! Which colour?").wait_for()
    assert "Our team" in conversation.inner_text() and "You" in conversation.inner_text()
    request.get_by_label("Your reply").fill("The blue one, please.")
    request.get_by_role("button", name="Send reply").click()
    page.locator(f"[data-ticket='{ticket.pk}'] .conversation").get_by_text(
        "The blue one, please."
    ).wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SHOTS / "help-desk-conversation.png"), full_page=True)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.TRIAGED  # back with the agents
    assert ticket.messages.filter(author=Message.Author.CUSTOMER).count() == 2


def test_a_german_shopper_reads_the_help_page_and_its_buttons_in_german(  # type: ignore[no-untyped-def]
    page, transactional_db
) -> None:
    customer_register(email="jo@example.com", password=PASSWORD, first_name="Jo")
    shopper_login(page, email="jo@example.com", password=PASSWORD)
    page.set_extra_http_headers({"Accept-Language": "de-DE,de;q=0.9"})
    page.goto(page.base + "/help/")
    page.get_by_role("heading", name="Wie können wir helfen?").wait_for()
    page.get_by_label("Betreff").fill("Lieferung")
    page.get_by_label("Ihre Nachricht").fill("Wann kommt meine Bestellung an?")
    page.get_by_role("button", name="Nachricht senden").click()
    created = page.get_by_test_id("ticket-created")
    created.get_by_text("Danke, Ihre Nachricht ist bei uns angekommen").wait_for()
    # the request list is drawn by shop.js, in the page's words
    ticket = Ticket.objects.get(subject="Lieferung")
    request = page.locator(f"[data-tickets] [data-ticket='{ticket.pk}']")
    request.locator("summary").click()
    request.get_by_role("button", name="Mit einem Menschen sprechen").click()
    page.get_by_text("Jemand aus unserem Team meldet sich bei Ihnen.").first.wait_for()
    ticket.refresh_from_db()
    assert ticket.wants_human
