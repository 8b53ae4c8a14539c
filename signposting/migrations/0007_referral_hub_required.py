import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("signposting", "0006_referral_hub"),
    ]

    operations = [
        migrations.AlterField(
            model_name="referral",
            name="hub",
            field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="hubportal.hub"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(fields=["hub", "sent_at"], name="referral_hub_sent"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(condition=models.Q(("declined_at__isnull", False)), fields=["hub", "declined_at"],
                               name="referral_hub_declined"),
        ),
        migrations.AddIndex(
            model_name="referral",
            index=models.Index(condition=models.Q(("handed_back_at__isnull", False)), fields=["hub", "handed_back_at"],
                               name="referral_hub_handed_back"),
        ),
    ]
