import django.db.models.deletion
from django.db import migrations, models

MODELS = ("stagevisit", "milestone", "benefitfollowup")


class Migration(migrations.Migration):

    dependencies = [
        ("adoption", "0004_case_rows_hub"),
    ]

    operations = [
        *[migrations.AlterField(model_name=name, name="hub", field=models.ForeignKey(
            db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="+",
            to="hubportal.hub")) for name in MODELS],
        migrations.AddIndex(model_name="benefitfollowup",
                            index=models.Index(fields=["hub", "due_on"], name="follow_up_hub_due")),
        migrations.AddIndex(model_name="milestone",
                            index=models.Index(fields=["hub", "due_on"], name="milestone_hub_due")),
        migrations.AddIndex(model_name="stagevisit",
                            index=models.Index(fields=["hub", "left_at"], name="stage_visit_hub_left")),
    ]
