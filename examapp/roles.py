"""The four roles an account can hold; what each may do is in ``examapp.access``."""


class Role:
    EXAMINEE = "examinee"
    DISTRICT_ADMIN = "district_admin"
    EXAM_ADMIN = "exam_admin"
    OFFICE = "office"

    ALL = (EXAMINEE, DISTRICT_ADMIN, EXAM_ADMIN, OFFICE)
    LABELS = {
        EXAMINEE: "考生",
        DISTRICT_ADMIN: "区县管理员",
        EXAM_ADMIN: "考试管理员",
        OFFICE: "领导小组办公室",
    }

    @classmethod
    def from_label(cls, label):
        for role, text in cls.LABELS.items():
            if text == label:
                return role
        return None
