"""The shipped SLA policies (merchants edit them in Admin -> SLA policies).

Business-hours targets count business time: a business day is 8 h (09:00-17:00), so
"2 business days" is stored as 16 h."""

from datetime import timedelta

from django.db import migrations

DEFAULTS = [
    # priority, first reply, resolution, business hours only
    (1, timedelta(hours=1), timedelta(hours=8), False),  # urgent
    (2, timedelta(hours=4), timedelta(hours=24), False),  # high
    (3, timedelta(hours=8), timedelta(hours=16), True),  # normal: 1 / 2 business days
    (4, timedelta(hours=16), timedelta(hours=40), True),  # low: 2 / 5 business days
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    SlaPolicy = apps.get_model("support", "SlaPolicy")
    for priority, first, resolution, business in DEFAULTS:
        SlaPolicy.objects.get_or_create(
            priority=priority,
            defaults={
                "first_reply_target": first,
                "resolution_target": resolution,
                "business_hours": business,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("support", "0005_sla")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
