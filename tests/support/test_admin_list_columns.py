"""The agent queue's columns fit a 1280 px laptop screen and still read as words."""

from datetime import datetime

import pytest
from django.utils import timezone

from support import services
from support.models import Ticket

pytestmark = pytest.mark.django_db


def test_queue_shows_flags_as_words_intent_in_words_and_a_short_date(admin_client) -> None:  # type: ignore[no-untyped-def]
    ticket = services.ticket_create(body="Where is my parcel? It is late", email="a@b.io")
    created = timezone.make_aware(datetime(2026, 11, 24, 10, 3))
    Ticket.objects.filter(pk=ticket.pk).update(
        intent="track_order",
        intent_confidence=0.87,
        escalated=True,
        wants_human=True,
        auto_replied=False,
        created_at=created,
    )

    html = admin_client.get("/admin/support/ticket/").content.decode()
    row = html.split('id="result_list"', 1)[1].split("</tbody>", 1)[0]

    assert '<td class="field-flags">escalated, wants a person</td>' in row
    assert '<td class="field-intent_with_confidence">track order (87%)</td>' in row
    stamp = timezone.localtime(created).strftime("%Y-%m-%d %H:%M")
    assert f'<td class="field-created">{stamp}</td>' in row
    assert "icon-yes.svg" not in row and "icon-no.svg" not in row  # no column of icons
