"""Referral.hub: the inquiry's hub on the referral itself (issue 11's value report, issue 13's scale).

Added nullable and filled from the inquiries here; 0007 makes it required and indexes it. Two
migrations, because PostgreSQL will not change a column's NULL rule in the transaction that updated
its rows while the foreign key's deferred checks are pending. Filling 928,000 referrals (a 1,000,000
inquiry bench database) is one UPDATE of every row: about a minute here.
"""

import django.db.models.deletion
from django.db import migrations, models


def fill_hub(apps, schema_editor):
    Referral = apps.get_model("signposting", "Referral")
    Inquiry = apps.get_model("intake", "Inquiry")
    Referral.objects.filter(hub__isnull=True).update(
        hub_id=models.Subquery(Inquiry.objects.filter(pk=models.OuterRef("inquiry_id")).values("hub_id")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ("hubportal", "0024_database_jit_off"),
        ("intake", "0022_hub_ids"),
        ("signposting", "0005_referral_progress_in_kind_support"),
    ]

    operations = [
        migrations.AddField(
            model_name="referral",
            name="hub",
            field=models.ForeignKey(db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="hubportal.hub"),
        ),
        migrations.RunPython(fill_hub, migrations.RunPython.noop, elidable=False),
    ]
