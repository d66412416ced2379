from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField("选择文件（.xlsx 或 .csv）", validators=[FileRequired("请选择要上传的文件")])


class ConfirmForm(FlaskForm):
    pass
