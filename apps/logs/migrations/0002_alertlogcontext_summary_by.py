from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("logs", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="alertlogcontext",
            name="summary_by",
            field=models.CharField(blank=True, help_text="built-in, or the LLM provider and model that wrote it",
                                   max_length=300, verbose_name="summary by"),
        ),
    ]
