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
