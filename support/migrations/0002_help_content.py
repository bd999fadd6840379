"""Seed the queues, help-centre articles (one per Bitext intent) and the escalation rule."""

from django.db import migrations


def seed(apps, schema_editor):
    from support.help_content import ARTICLES, QUEUES

    Queue = apps.get_model("support", "Queue")
    HelpArticle = apps.get_model("support", "HelpArticle")
    RoutingRule = apps.get_model("support", "RoutingRule")
    for slug, name, description in QUEUES:
        Queue.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
    for intent, slug, title, body in ARTICLES:
        HelpArticle.objects.get_or_create(
            slug=slug, defaults={"title": title, "body": body, "intent": intent}
        )
    escalations = Queue.objects.get(slug="escalations")
    RoutingRule.objects.get_or_create(position=10, min_priority=1, defaults={"queue": escalations})


def unseed(apps, schema_editor):
    from support.help_content import ARTICLES

    apps.get_model("support", "HelpArticle").objects.filter(
        slug__in=[a[1] for a in ARTICLES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("support", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
