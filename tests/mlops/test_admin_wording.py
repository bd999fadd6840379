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


def test_ops_page_names_scheduled_jobs_in_merchant_words_with_the_task_as_tooltip(
    admin_client,
) -> None:  # type: ignore[no-untyped-def]
    html = admin_client.get("/admin/mlops/modelversion/ops/").content.decode()
    schedule = html.split('data-testid="schedule"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<td title="([^"]*)">([^<]*)</td><td>([^<]*)</td>', schedule)
    by_label = {label: (task, when) for task, label, when in rows}
    assert by_label["Retrain recommendations"] == (
        "recommendations.tasks.recommender_train_task",
        "daily at 02:10 (Europe/London)",
    )
    assert by_label["Release stock held by abandoned carts"][1] == "every 15 minutes"
    assert by_label["Resend webhook deliveries that are due a retry"][1] == "every minute"
    # what the merchant reads (tooltips aside) has no dotted task names nor code formatting
    visible = re.sub(r'title="[^"]*"', "", _main(html))
    assert not CODE.search(visible), CODE.search(visible)
    assert "ML_CAPABILITIES" not in visible
