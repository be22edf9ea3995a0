from lsweb.models import Role


def test_sign_in_shows_home_with_school(client, factories, login):
    school = factories.school("Hillside Primary")
    teacher = factories.user(school, Role.TEACHER, name="Jo Teacher")
    login(teacher)
    page = client.get("/")
    assert page.status_code == 200
    assert "Hillside Primary" in page.text
    assert "Jo Teacher" in page.text
    assert "Staff management" not in page.text
