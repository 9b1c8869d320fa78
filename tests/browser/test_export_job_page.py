"""An export job's page in a real browser (issue 23): the export link of a list (``?job=1``) lands
on the job's page, which shows it queued, follows its progress from the JSON while the job runs
(js/long_job.js), and offers the file once it is done. The job is run by the worker's own
function; it reads the committed cases and writes only its row and its file."""
from __future__ import annotations

from conftest import login_and_wait

from gridapp.exports import jobs as export_jobs


def test_the_job_page_follows_the_job_and_offers_the_file(app, live_server, offline_page):
    page = offline_page.page
    login_and_wait(page, live_server, "district")
    page.goto(f"{live_server}/cases/export.csv?job=1&category=01")
    assert "/exports/" in page.url and page.locator("#job-status").inner_text() == "排队中"
    job_id = int(page.url.rsplit("/", 1)[1])
    with app.app_context():
        export_jobs.run(job_id)
    page.wait_for_selector("#job-download a", timeout=10_000)  # polled, finished, reloaded
    assert page.locator("#job-status").inner_text() == "已完成"
    with page.expect_download() as download:
        page.click("#job-download a")
    assert download.value.suggested_filename.endswith(".csv")
    page.click("text=我的导出")
    assert page.locator(f'#export-jobs a[href="/exports/{job_id}"]').count() == 1
    assert not offline_page.errors and not offline_page.aborted
