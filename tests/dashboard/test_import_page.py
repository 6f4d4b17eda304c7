"""The admin page that imports HappyOrNot exports from uploaded files: admins only, CSRF, a summary."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from tests.dashboard.conftest import Store, login, page_csrf

DATA = Path(__file__).resolve().parent.parent / "data" / "happyornot"


def upload(client: TestClient, csrf: str, names: list[str], **data: str) -> tuple[int, str]:
    files = [("files", (n, (DATA / n).read_bytes(), "application/octet-stream")) for n in names]
    files.append(("mapping", ("mapping.json", (DATA / "mapping.json").read_bytes(), "application/json")))
    r = client.post("/admin/import", data={"csrf": csrf, **data}, files=files)
    return r.status_code, r.text


def test_an_admin_uploads_exports_and_reads_the_summary(store: Store, client: TestClient) -> None:
    """Uploaded exports are imported and summarised on the page; uploading them again changes nothing; the
    uploads are not kept."""
    login(client, "boss")
    assert 'href="/admin/import"' in client.get("/").text
    csrf = page_csrf(client, "/admin/import")
    names = ["experience_points.json", "surveys.json", "buttons_semicolon.csv", "buttons.json"]
    status, text = upload(client, csrf, names)
    assert status == 200
    assert "buttons.json (button feedbacks): 15 rows: 8 stored, 1 duplicates, 6 refused" in text
    assert "nps 2" in text
    assert store.db.imports.imported_count() == 10
    status, again = upload(client, csrf, names)
    assert status == 200 and again.count("already imported under this mapping") == 4
    assert store.db.imports.imported_count() == 10
    assert list((store.data_dir / "imports").iterdir()) == []


def test_a_bad_file_is_explained_and_nothing_is_imported(store: Store, client: TestClient, tmp_path: Path) -> None:
    """A file that is not an export answers 422 with the reason on the page."""
    login(client, "boss")
    csrf = page_csrf(client, "/admin/import")
    r = client.post(
        "/admin/import", data={"csrf": csrf}, files=[("files", ("notes.txt", b"hello;world\n1;2\n", "text/plain"))]
    )
    assert r.status_code == 422 and "not a HappyOrNot export" in r.text
    assert store.db.imports.imported_count() == 0


def test_only_admins_with_the_csrf_token_may_import(store: Store, client: TestClient) -> None:
    """Managers get no page (404, like every admin page), no link, and their post is refused (403); a post
    without the session's CSRF token is refused; nothing is imported."""
    login(client, "anna")
    assert "/admin/import" not in client.get("/").text
    assert client.get("/admin/import").status_code == 404  # like every admin page: a manager is not told it exists
    status, _ = upload(client, "whatever", ["buttons.json"])
    assert status == 403
    client.cookies.clear()
    login(client, "boss")
    status, _ = upload(client, "forged", ["buttons.json"])
    assert status == 403
    assert store.db.imports.imported_count() == 0
