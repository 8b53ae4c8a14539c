from django.db import migrations, models

from partners.fields import tag_bits


def fill_tag_bits(apps, schema_editor):
    """Existing resources get their bits from their tag_index (which save() has kept). TAG_BITS only
    grows at its end, so importing today's layout is right whenever this runs."""
    Resource = apps.get_model("signposting", "Resource")
    rows = []
    for row in Resource.objects.only("pk", "tag_index").iterator(chunk_size=2000):
        row.tag_bits = tag_bits(row.tag_index)
        rows.append(row)
    Resource.objects.bulk_update(rows, ["tag_bits"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("signposting", "0007_referral_hub_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="resource",
            name="tag_bits",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_tag_bits, migrations.RunPython.noop),
    ]
