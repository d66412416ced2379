"""The base of every form: WTForms' own messages in Simplified Chinese."""

from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    class Meta:
        locales = ["zh"]
