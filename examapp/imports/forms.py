from flask_wtf.file import FileField, FileRequired

from ..forms import BaseForm


class UploadForm(BaseForm):
    file = FileField("选择文件（.xlsx 或 .csv）", validators=[FileRequired("请选择要上传的文件")])


class ConfirmForm(BaseForm):
    pass
