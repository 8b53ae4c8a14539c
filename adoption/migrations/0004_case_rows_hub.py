"""Stage visits, milestones and benefit follow-ups carry their case's hub (the value report reads one hub's
rows by index: issue 11 at a network of 1,000,000 inquiries). Added nullable and filled here from the cases;
0005 makes them required and indexes them (PostgreSQL will not change a column's NULL rule in the
transaction that filled it while the foreign key's deferred checks are pending)."""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("stagevisit", "milestone", "benefitfollowup")


def fill_hub(apps, schema_editor):
    Case = apps.get_model("adoption", "Case")
    for name in MODELS:
        apps.get_model("adoption", name).objects.filter(hub__isnull=True).update(
            hub_id=models.Subquery(Case.objects.filter(pk=models.OuterRef("case_id")).values("hub_id")[:1]))


def _hub(null):
    return models.ForeignKey(db_index=False, editable=False, null=null, on_delete=django.db.models.deletion.PROTECT,
                             related_name="+", to="hubportal.hub")


class Migration(migrations.Migration):

    dependencies = [
        ("adoption", "0003_hub_ids"),
        ("hubportal", "0024_database_jit_off"),
    ]

    operations = [
        *[migrations.AddField(model_name=name, name="hub", field=_hub(True)) for name in MODELS],
        migrations.RunPython(fill_hub, migrations.RunPython.noop, elidable=False),
    ]
