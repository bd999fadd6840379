"""The monitoring and experiments pages, empty, as a merchant reads them: what to do next in
shop words, not the Python function a developer would call."""

import re

import pytest

pytestmark = pytest.mark.django_db

CODE = re.compile(r"<code>|\b[a-z_]+\.[a-z_]+\.[a-z_]+|[a-z_]+\(\)")


def _main(html: str) -> str:
    """The page's content, scripts left out (their code is not what the merchant reads)."""
    content = html.split('id="content"', 1)[1]
    return re.sub(r"<script.*?</script>", "", content, flags=re.S)


def test_empty_monitoring_page_says_what_to_do_in_merchant_words(admin_client) -> None:  # type: ignore[no-untyped-def]
    page = _main(admin_client.get("/admin/mlops/modelversion/monitoring/").content.decode())
    assert "No drift figures yet" in page and "first training run" in page
    assert 'href="/admin/mlops/modelversion/ops/"' in page  # where to retrain
    assert "No live measurements yet" in page and "Run checks now" in page
    assert not CODE.search(page), CODE.search(page)


def test_empty_experiments_page_says_how_to_start_one(admin_client) -> None:  # type: ignore[no-untyped-def]
    page = _main(admin_client.get("/admin/mlops/modelversion/experiments/").content.decode())
    empty = page.split('data-testid="experiments-empty">', 1)[1].split("</p>", 1)[0]
    assert "recommendations-strategy" in empty and 'href="/admin/mlops/experiment/add/"' in empty
    assert not CODE.search(page), CODE.search(page)
