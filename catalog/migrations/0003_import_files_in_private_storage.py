"""Import files move to the private storage (tenants.private_files), under random names.

Before this migration they were saved under MEDIA_ROOT/<schema>/imports/ (or the media bucket's
<schema>/imports/) with the uploader's file name, where /media/ served them to anyone. The files of
jobs still holding one (queued, interrupted, or whose deletion failed) are moved to the private
storage; every other file left in that folder belongs to no job (its row was deleted with its
merchant) and is deleted. Going backwards leaves the files where they are, private.
"""

from pathlib import PurePosixPath

from django.db import migrations, models

import catalog.models
import tenants.private_files

OLD_FOLDER = "imports"


def move_import_files_out_of_media(apps, schema_editor):
    from django.core.files.storage import default_storage

    ImportJob = apps.get_model("catalog", "ImportJob")
    private = tenants.private_files.private_storage()
    for job in ImportJob.objects.exclude(source="", images_archive=""):
        changed = []
        for field_name in ("source", "images_archive"):
            old_name = getattr(job, field_name).name
            if not old_name or not default_storage.exists(old_name):
                continue
            with default_storage.open(old_name, "rb") as old_file:
                new_name = private.save(tenants.private_files.random_private_name(OLD_FOLDER, old_name), old_file)
            setattr(job, field_name, new_name)
            changed.append(field_name)
            if field_name == "source" and not job.source_name:
                job.source_name = PurePosixPath(old_name).name[:255]
                changed.append("source_name")
        if changed:
            job.save(update_fields=changed)
    # The old copies of the moved files, and the files of deleted jobs.
    try:
        _folders, files = default_storage.listdir(OLD_FOLDER)
    except FileNotFoundError:
        files = []
    for name in files:
        default_storage.delete(f"{OLD_FOLDER}/{name}")


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0002_alter_product_category"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="source_name",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="images_archive",
            field=models.FileField(
                blank=True, storage=tenants.private_files.private_storage, upload_to=catalog.models.import_upload_path
            ),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="source",
            field=models.FileField(
                storage=tenants.private_files.private_storage, upload_to=catalog.models.import_upload_path
            ),
        ),
        migrations.RunPython(move_import_files_out_of_media, migrations.RunPython.noop, elidable=True),
    ]
