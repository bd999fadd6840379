"""Due times for the tickets a store already had when SLA policies arrived.

Without this an upgraded store's open tickets show no due time and drop out of the "breached"
filter until their next status or priority change. Each ticket gets the due times of its
priority's policy from its creation time; its first reply is the first agent message (an
automatic answer counts only when it was e-mailed, which old rows do not record, so it is
left out); a waiting ticket's resolution clock stops now, a solved one's when it was solved.
Time the clock was stopped before this migration is not recorded anywhere, so it is not
added back: a long wait for the customer can read as a breach."""

from django.db import migrations
from django.db.models import Min, Q
from django.utils import timezone

from support.sla import clock_add

BATCH = 1000


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Ticket = apps.get_model("support", "Ticket")
    SlaPolicy = apps.get_model("support", "SlaPolicy")
    policies = {p.priority: p for p in SlaPolicy.objects.all()}
    if not policies:
        return
    zone = timezone.get_default_timezone()
    now = timezone.now()
    todo = (
        Ticket.objects.filter(first_reply_due_at__isnull=True, priority__in=list(policies))
        .annotate(first_agent=Min("messages__created_at", filter=Q(messages__author="agent")))
        .order_by("pk")
    )
    fields = ["first_reply_due_at", "resolution_due_at", "first_replied_at", "sla_paused_at"]
    batch = []
    for ticket in todo.iterator(chunk_size=BATCH):
        policy = policies[ticket.priority]
        business = policy.business_hours
        ticket.first_reply_due_at = clock_add(
            ticket.created_at,
            policy.first_reply_target.total_seconds(),
            business=business,
            zone=zone,
        )
        ticket.resolution_due_at = clock_add(
            ticket.created_at,
            policy.resolution_target.total_seconds(),
            business=business,
            zone=zone,
        )
        ticket.first_replied_at = ticket.first_replied_at or ticket.first_agent
        if ticket.status == "solved":
            ticket.sla_paused_at = ticket.sla_paused_at or ticket.solved_at or ticket.updated_at
        elif ticket.status == "waiting":
            ticket.sla_paused_at = ticket.sla_paused_at or now
        batch.append(ticket)
        if len(batch) >= BATCH:
            Ticket.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        Ticket.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):
    dependencies = [("support", "0006_sla_default_policies")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
