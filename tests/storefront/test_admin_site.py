"""The admin frame a merchant sees on every page."""

from django.conf import settings


def test_admin_pages_carry_the_store_name_and_no_app_sidebar(admin_client) -> None:  # type: ignore[no-untyped-def]
    page = admin_client.get("/admin/pricing/priceproposal/").content.decode()
    assert f"{settings.STORE_NAME} admin" in page
    assert "Django administration" not in page
    # the app list beside every changelist squeezed its table off the screen
    assert 'id="nav-sidebar"' not in page
    home = admin_client.get("/admin/").content.decode()
    assert "Store admin" in home and "Site administration" not in home
