from .conftest import login


def test_login_lands_on_role_home(client, world):
    response = login(client, "admin")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "考试管理工作台" in page
