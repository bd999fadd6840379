"""Seed Radar's default block and allow lists (empty): blocked e-mails, domains, cards and
IPs; allowed e-mails and cards."""

from django.db import migrations


def seed(apps, schema_editor):
    from fraud.lists import DEFAULT_LISTS

    RiskList = apps.get_model("fraud", "RiskList")
    for alias, name, item_type, kind, description in DEFAULT_LISTS:
        RiskList.objects.get_or_create(
            alias=alias,
            defaults={
                "name": name,
                "item_type": item_type,
                "kind": kind,
                "description": description,
            },
        )


def unseed(apps, schema_editor):
    from fraud.lists import DEFAULT_LISTS

    apps.get_model("fraud", "RiskList").objects.filter(
        alias__in=[d[0] for d in DEFAULT_LISTS], items__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("fraud", "0004_risk_lists")]
    operations = [migrations.RunPython(seed, unseed)]
