from django.db import migrations, models

from partners.fields import tag_bits


def fill_tag_bits(apps, schema_editor):
    """Existing services get their bits from their tag_index (which save() has kept). TAG_BITS only
    grows at its end, so importing today's layout is right whenever this runs."""
    PartnerService = apps.get_model("partners", "PartnerService")
    rows = []
    for row in PartnerService.objects.only("pk", "tag_index").iterator(chunk_size=2000):
        row.tag_bits = tag_bits(row.tag_index)
        rows.append(row)
    PartnerService.objects.bulk_update(rows, ["tag_bits"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("partners", "0003_directory_on_staff_pages"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnerservice",
            name="tag_bits",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(fill_tag_bits, migrations.RunPython.noop),
    ]
