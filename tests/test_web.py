"""The web skeleton: sign-in required, CSRF enforced, account list and Customer 360 page; and a real browser."""

from __future__ import annotations

import dataclasses
import re
import socket
import threading
import time
from datetime import UTC, date, datetime

import pytest
import uvicorn
from fastapi.testclient import TestClient

from northstar.auth.models import Role
from northstar.auth.service import create_user
from northstar.config import Settings
from northstar.db.engine import reset_engines, session_scope
from northstar.demo.generator import DemoConfig
from northstar.demo.service import build_demo
from northstar.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    s = Settings(home=tmp_path_factory.mktemp("web") / "home", secret_key_override="web-test-secret")
    build_demo(s, DemoConfig(accounts=80, seed=3, events_per_account_month=20, as_of=date(2026, 11, 1)))
    with session_scope(s.database_url) as db:
        create_user(db, "csm@example.com", PASSWORD, Role.CSM, "Casey CSM")
    yield s
    reset_engines()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def signed_in(site) -> TestClient:
    client = TestClient(create_app(site))
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login", data={"email": "csm@example.com", "password": PASSWORD, "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303
    return client


def test_pages_need_sign_in(site):
    client = TestClient(create_app(site))
    for path in ("/", "/accounts", "/accounts/1"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.get("/healthz").json()["status"] == "ok"


def test_wrong_password_and_missing_csrf_are_refused(site):
    client = TestClient(create_app(site))
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"email": "csm@example.com", "password": "nope-nope-nope", "csrf": token})
    assert r.status_code == 401 and "Wrong e-mail or password" in r.text
    r = client.post("/login", data={"email": "csm@example.com", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403
    assert client.get("/accounts", follow_redirects=False).status_code == 303


def test_open_redirect_is_refused(site):
    client = TestClient(create_app(site))
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"email": "csm@example.com", "password": PASSWORD, "csrf": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/accounts"


def test_account_list_search_and_page(site):
    client = signed_in(site)
    page = client.get("/accounts")
    assert page.status_code == 200 and "Accounts <small>80</small>" in page.text and "ACME-000001" in page.text
    found = client.get("/accounts", params={"q": "ACME-000007"})
    assert len(re.findall(r'href="/accounts/\d+"', found.text)) == 1
    assert "No account matches" in client.get("/accounts", params={"q": "zzz-none"}).text
    account = client.get("/accounts/ACME-000007")
    assert account.status_code == 200
    for part in ("MRR history", "Contacts", "Timeline", "decision maker"):
        assert part in account.text
    assert client.get("/accounts/NOPE").status_code == 404


def test_sign_out_ends_the_session(site):
    client = signed_in(site)
    token = csrf_of(client.get("/accounts").text)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
    assert client.get("/accounts", follow_redirects=False).status_code == 303


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(settings):  # type: ignore[no-untyped-def]
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


@pytest.fixture(scope="module")
def server(site):
    _SITE[:] = [site]
    yield from _serve(site)


@pytest.fixture(scope="module")
def limited_server(site):
    """The same data with CSMs limited to the accounts they own."""
    yield from _serve(dataclasses.replace(site, csm_own_accounts_only=True, intake_worker=False))


_SITE: list = []


def server_site():  # type: ignore[no-untyped-def]
    return _SITE[0]


def survey_links(settings, trigger: str = "browser") -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A fresh relationship-NPS link for one contact of each language (one not asked lately)."""
    from sqlalchemy import select

    from northstar.accounts.models import Contact
    from northstar.surveys.definitions import load_surveys
    from northstar.surveys.service import SurveyRefused, invite

    config = load_surveys(settings)
    links: dict[str, str] = {}
    with session_scope(settings.database_url) as s:
        for contact in s.scalars(select(Contact).order_by(Contact.id)):
            if contact.language in ("en", "it", "ja", "ar", "pl") and contact.language not in links:
                try:
                    links[contact.language] = invite(s, config, "relationship-nps", contact.id, trigger=trigger).token
                except SurveyRefused:  # asked within the throttle: the next contact of that language
                    continue
    return links


def server_artifacts():
    """Where the browser test leaves its screenshots (kept after the run: ``test-artifacts/``)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_in_a_real_browser(server, limited_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        page = browser.new_page()
        page.goto(server + "/accounts")
        assert "/login" in page.url
        page.get_by_label("E-mail").fill("csm@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(server + "/accounts")
        page.get_by_label("Search").fill("ACME-000012")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**q=ACME-000012**")
        assert page.locator("tbody tr").count() == 1
        page.locator("tbody a").first.click()
        page.wait_for_selector("[data-testid=arr]")
        assert page.locator("h2", has_text="Timeline").is_visible()
        assert page.locator("svg.chart").count() == 3  # health history, MRR, usage
        shots = server_artifacts()
        page.screenshot(path=str(shots / "account.png"), full_page=True)
        # log a call in two steps (pick the kind, write, submit) and see it on the timeline
        page.get_by_label("call").check()
        page.get_by_label("What happened").fill("Browser test: sponsor confirmed the renewal")
        page.get_by_role("button", name="Log it").click()
        page.wait_for_url("**#timeline")
        assert page.locator(".timeline li", has_text="sponsor confirmed the renewal").count() == 1
        # a task for the account, completed from the inbox
        page.get_by_label("New task").fill("Browser test: send the QBR deck")
        page.get_by_label("Due").first.fill(date.today().isoformat())
        page.get_by_role("button", name="Add", exact=True).click()
        page.goto(server + "/tasks")
        page.screenshot(path=str(shots / "tasks.png"), full_page=True)
        page.get_by_role("link", name="Browser test: send the QBR deck").click()
        page.get_by_label("What came of it").fill("sent")
        page.get_by_role("button", name="Mark done").click()
        page.wait_for_selector("[data-testid=outcome]")
        page.goto(server + "/tasks?view=done")
        assert page.get_by_role("link", name="Browser test: send the QBR deck").count() == 1
        # the portfolio filtered by health band
        page.goto(server + "/accounts")
        page.get_by_label("Health").select_option("red")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**band=red**")
        assert page.locator("[data-testid=portfolio] .band-red").count() == page.locator("tbody tr").count() > 0
        page.screenshot(path=str(shots / "portfolio.png"), full_page=True)
        # the dashboards, and a chart's bar clicked through to the accounts behind it
        page.get_by_role("link", name="Dashboards").click()
        page.wait_for_selector("svg.chart.bars")
        page.screenshot(path=str(shots / "dashboards.png"), full_page=True)
        page.locator('svg a[aria-label^="red:"]').click()
        page.wait_for_url("**chart=band**")
        assert page.get_by_test_id("behind").is_visible()
        assert page.locator("[data-testid=portfolio] .band-red").count() == page.locator("tbody tr").count() > 0
        # the revenue forecast with its interval band (valued here, as the worker would after its refresh)
        from northstar.revenue.forecast import cached

        cached(server_site(), datetime.now(UTC).date())
        page.get_by_role("link", name="Revenue").click()
        page.wait_for_selector("[data-testid=forecast]")
        assert page.locator("svg.chart polygon.interval").count() == 1
        assert page.locator("[data-testid=top-value] tbody tr").count() > 0
        page.screenshot(path=str(shots / "revenue.png"), full_page=True)

        # Arabic: the whole layout right to left, from the language switch in the header
        page.get_by_label("Language").select_option("ar")
        page.get_by_role("button", name="Change language").click()
        page.wait_for_selector("html[dir=rtl]")
        assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
        assert page.locator("nav a", has_text="الحسابات").count() == 1
        page.screenshot(path=str(shots / "portfolio-ar.png"), full_page=True)
        page.goto(server + "/dashboards")
        page.screenshot(path=str(shots / "dashboards-ar.png"), full_page=True)
        page.get_by_label("اللغة").select_option("ja")
        page.get_by_role("button", name="تغيير اللغة").click()
        page.wait_for_selector("html[lang=ja][dir=ltr]")
        page.screenshot(path=str(shots / "dashboards-ja.png"), full_page=True)
        page.get_by_label("言語").select_option("en")
        page.get_by_role("button", name="言語を変更").click()
        page.wait_for_selector("html[lang=en]")

        # the public survey page in each language: no sign-in, one tap for the score; Arabic right to left
        survey = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
        for lang, token in survey_links(server_site()).items():
            survey.goto(server + f"/s/{token}")
            assert survey.evaluate("document.documentElement.lang") == lang
            direction = survey.evaluate("getComputedStyle(document.body).direction")
            assert direction == ("rtl" if lang == "ar" else "ltr")
            survey.screenshot(path=str(shots / f"survey-{lang}.png"), full_page=True)
            survey.get_by_role("button", name="9", exact=True).click()
            survey.wait_for_selector("main[data-state=follow_up]")
            survey.locator("textarea").first.fill("<script>alert(1)</script> ok")
            survey.locator("button.primary").click()
            survey.wait_for_selector("main[data-state=done]")
        survey.close()

        # with ownership limits on, a CSM cannot open another CSM's account (this one owns none)
        limited = browser.new_page()
        limited.goto(limited_server + "/login")
        limited.get_by_label("E-mail").fill("csm@example.com")
        limited.get_by_label("Password").fill(PASSWORD)
        limited.get_by_role("button", name="Sign in").click()
        limited.wait_for_url(limited_server + "/accounts")
        assert "Accounts <small>0</small>" in limited.content()
        response = limited.goto(limited_server + "/accounts/ACME-000012")
        assert response.status == 403 and limited.get_by_text("Not allowed.").is_visible()
        limited.close()

        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(server + "/docs")  # the API reference: Swagger UI from the app's own files
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() >= 50  # 7 tracking + 8 resources x 6 operations
        assert page.locator(".opblock-summary-path", has_text="/api/v1/accounts/{external_id}").count() == 4
        assert not errors, errors  # nothing blocked by the content security policy, nothing missing
        browser.close()


def test_a_form_post_is_committed_before_its_response_starts(site):
    """A real browser follows a redirect at once: the write must be in the store before the response's first
    byte, or the page it lands on can be read without it (FastAPI runs a dependency's exit, our commit, after
    the response unless it is scoped to the function). Read from another connection at ``http.response.start``."""
    import asyncio

    from sqlalchemy import select

    from northstar.feedback.models import SurveyInvitation
    from northstar.surveys.service import token_hash

    token = survey_links(site, trigger="commit-order")["en"]
    app = create_app(dataclasses.replace(site, intake_worker=False))
    seen: list[object] = []

    async def send(message):  # type: ignore[no-untyped-def]
        if message["type"] == "http.response.start":
            with session_scope(site.database_url) as s:
                invitation = s.scalar(select(SurveyInvitation).where(SurveyInvitation.token_hash == token_hash(token)))
                seen.append((message["status"], invitation.feedback_id))

    body = b"score=9"
    events = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():  # type: ignore[no-untyped-def]
        return events.pop(0) if events else {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/s/{token}",
        "raw_path": f"/s/{token}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    assert len(seen) == 1
    status, feedback_id = seen[0]
    assert status == 303 and feedback_id is not None
    # and every route's session is scoped so (a new page written with the default scope fails here)
    from northstar.web.security import db

    def sessions(dependant):  # type: ignore[no-untyped-def]
        for dep in dependant.dependencies:
            if dep.call is db:
                yield dep
            yield from sessions(dep)

    found = [
        (route.path, dep.scope)
        for route in app.routes
        if hasattr(route, "dependant")
        for dep in sessions(route.dependant)
    ]
    assert found and all(scope == "function" for _, scope in found), [f for f in found if f[1] != "function"]


def test_every_page_in_every_language(site):
    """Each language's pages render (a translation with a broken placeholder would fail here), with the
    document's language and direction; Arabic is right to left."""
    from northstar import i18n

    client = signed_in(site)
    with session_scope(site.database_url) as db:
        from sqlalchemy import select

        from northstar.accounts.models import Account

        account = db.scalar(select(Account.external_id).order_by(Account.id))
    pages = ["/accounts", f"/accounts/{account}", "/dashboards", "/tasks", "/tasks?view=done", "/settings/password"]
    pages += ["/feedback", "/feedback?by=language&group=detractors", "/success", "/success?state=stuck"]
    pages += ["/accounts?chart=band&key=red", "/accounts?q=zzz-none", "/accounts/NOPE"]
    for lang in i18n.LANGUAGES:
        client.cookies.set(i18n.COOKIE, lang)
        for path in pages:
            r = client.get(path)
            assert r.status_code in (200, 404), (lang, path)
            direction = "rtl" if lang == "ar" else "ltr"
            assert f'<html lang="{lang}" dir="{direction}">' in r.text, (lang, path)
    client.cookies.set(i18n.COOKIE, "it")
    assert ">Cruscotti</a>" in client.get("/accounts").text
    client.cookies.set(i18n.COOKIE, "ja")
    assert "タイムライン" in client.get(f"/accounts/{account}").text


def test_the_language_follows_the_browser_the_choice_and_the_user(site):
    from sqlalchemy import select

    from northstar import i18n
    from northstar.auth.models import User

    anonymous = TestClient(create_app(site))
    assert ">Accedi</button>" in anonymous.get("/login", headers={"accept-language": "it-IT,it;q=0.9"}).text
    assert 'lang="pl"' in anonymous.get("/login", headers={"accept-language": "pl"}).text
    client = signed_in(site)
    page = client.get("/accounts").text
    r = client.post(
        "/settings/language",
        data={"lang": "ar", "next": "/accounts?band=red", "csrf": csrf_of(page)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/accounts?band=red"
    assert f"{i18n.COOKIE}=ar" in r.headers["set-cookie"]
    assert 'dir="rtl"' in client.get("/accounts").text
    with session_scope(site.database_url) as db:
        assert db.scalar(select(User.locale).where(User.email == "csm@example.com")) == "ar"
    fresh = signed_in(site)  # another browser: the user's language comes with the sign-in
    assert 'lang="ar" dir="rtl"' in fresh.get("/accounts").text
    bad = client.post("/settings/language", data={"lang": "xx", "csrf": csrf_of(page)}, follow_redirects=False)
    assert f"{i18n.COOKIE}=en" in bad.headers["set-cookie"]
    assert client.post("/settings/language", data={"lang": "it"}).status_code == 403  # no CSRF token
    with session_scope(site.database_url) as db:
        db.execute(User.__table__.update().where(User.email == "csm@example.com").values(locale="en"))


def test_voice_of_the_customer_page(site):
    from northstar.metrics.service import compute

    client = signed_in(site)
    page = client.get("/feedback?by=touchpoint")
    assert page.status_code == 200
    for part in ('data-testid="results-nps"', 'data-testid="results-csat"', 'data-testid="response-rates"'):
        assert part in page.text
    today = date.today()
    nps = compute(site, "nps", date(today.year - 1, today.month, 1), today, by=["touchpoint"])
    shown = re.findall(r'data-testid="results-nps">.*?</table>', page.text, re.S)[0]
    assert len(re.findall(r"<tr><td>", shown)) == len(nps)  # a row per touchpoint, as the metric has
    detractors = client.get("/feedback?group=detractors").text
    scores = [int(x) for x in re.findall(r"<strong>NPS (\d+)</strong>", detractors)]
    assert scores and max(scores) <= 6
    limited = TestClient(create_app(dataclasses.replace(site, csm_own_accounts_only=True, intake_worker=False)))
    token = csrf_of(limited.get("/login").text)
    limited.post("/login", data={"email": "csm@example.com", "password": PASSWORD, "csrf": token})
    assert re.search(r"Comments <small>0</small>", limited.get("/feedback").text)  # owns no account


def test_theme_trends_and_the_analysed_comments(site):
    """The demo's comments are analysed when it is built; the page's theme shares are counted again here from
    the stored rows, and the theme and sentiment filters show only what they say."""
    from sqlalchemy import select

    from northstar.feedback.models import Feedback

    today = date.today()
    first = date(today.year - 1, today.month, 1)
    with session_scope(site.database_url) as db:
        rows = db.execute(
            select(Feedback.submitted_at, Feedback.themes).where(
                Feedback.sentiment.is_not(None),
                Feedback.submitted_at >= datetime(first.year, first.month, 1, tzinfo=UTC),
            )
        ).all()
        # the demo's own (answers the browser test gives are analysed by the worker, a few seconds later)
        demo = Feedback.external_id.not_like("survey-%")
        assert not db.scalar(select(Feedback.id).where(demo, Feedback.comment != "", Feedback.sentiment.is_(None)))
    month = max(r.submitted_at for r in rows).date().replace(day=1)
    in_month = [r for r in rows if r.submitted_at.date().replace(day=1) == month]
    support = sum("support" in (r.themes or ()) for r in in_month) / len(in_month)
    client = signed_in(site)
    page = client.get("/feedback").text
    table = re.search(r'data-testid="theme-trends">(.*?)</table>', page, re.S).group(1)
    row = re.search(r"theme=support[^>]*>support</a></th>(.*?)</tr>", table, re.S).group(1)
    cells = re.findall(r'<td class="num h\d+" title="[^"]*">([^<]*)</td>', row)
    column = (month.year - first.year) * 12 + month.month - first.month
    assert len(cells) == 13 and cells[column] == f"{support:.0%}"  # the data's last month, rounded as shown
    filtered = client.get("/feedback?theme=support&sentiment=negative").text
    items = re.findall(r"<li><time.*?</li>", filtered.split('data-testid="comments"')[1], re.S)
    assert items
    assert all('class="chip sentiment-negative"' in li and ">support</a>" in li for li in items)


def test_the_in_app_widget_in_a_real_browser(site, tmp_path):
    """A product's page on another origin opens the survey in the widget; the survey page lets that origin
    (and only an allowed one) frame it."""
    import functools
    import http.server

    from playwright.sync_api import sync_playwright

    host_port = _free_port()
    product = f"http://127.0.0.1:{host_port}"
    allowed = dataclasses.replace(site, intake_worker=False, embed_origins=(product,))
    servers = _serve(allowed)
    northstar = next(servers)
    link = survey_links(site, trigger="widget")["it"]
    (tmp_path / "index.html").write_text(
        f'<!doctype html><html><body><h1>Product</h1><script src="{northstar}/static/survey-widget.js"></script>'
        f'<script>NorthstarSurvey.open("{northstar}/s/{link}");</script></body></html>'
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", host_port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(product + "/index.html")
            frame = page.frame_locator("#northstar-survey iframe")
            frame.get_by_role("button", name="9", exact=True).click()
            frame.locator("main[data-state=follow_up]").wait_for()
            assert "Grazie" in frame.locator("main").inner_text()  # the contact's language, inside the product
            page.screenshot(path=str(server_artifacts() / "survey-widget.png"))
            page.get_by_role("button", name="Close").click()
            assert page.locator("#northstar-survey").count() == 0
            browser.close()
    finally:
        httpd.shutdown()
        next(servers, None)


def test_success_maps_page_and_the_account_path(site):
    """Every account of a mapped persona has a state; the page's counts are the stored ones, counted again here;
    the account page lists its milestones with the stored days."""
    from sqlalchemy import func, select

    from northstar.accounts.models import Account
    from northstar.success.models import MilestoneReached, SuccessStatus

    with session_scope(site.database_url) as db:
        personas = db.scalar(select(func.count()).select_from(Account).where(Account.persona.is_not(None)))
        states = dict(
            db.execute(
                select(SuccessStatus.state, func.count())
                .where(SuccessStatus.persona == "growth_marketer")
                .group_by(SuccessStatus.state)
            ).all()
        )
        assert db.scalar(select(func.count()).select_from(SuccessStatus)) == personas
        first = db.scalar(
            select(func.count())
            .select_from(MilestoneReached)
            .join(SuccessStatus, SuccessStatus.account_id == MilestoneReached.account_id)
            .where(SuccessStatus.persona == "growth_marketer", MilestoneReached.milestone == "first_dashboard")
        )
        one = db.scalar(select(SuccessStatus).where(SuccessStatus.current_position >= 2).limit(1))
        days = dict(
            db.execute(
                select(MilestoneReached.milestone, MilestoneReached.reached_on).where(
                    MilestoneReached.account_id == one.account_id
                )
            ).all()
        )
    client = signed_in(site)
    page = client.get("/success").text
    table = re.search(r'data-testid="flow-growth_marketer">(.*?)</table>', page, re.S).group(1)
    assert re.search(rf"2\. First dashboard</td><td class=\"num\">{first} /", table)
    for state, n in states.items():
        assert re.search(rf'persona=growth_marketer&amp;state={state}#attention">[^<]* {n}</a>', page), state
    stuck = client.get("/success?state=stuck").text
    rows = re.findall(r'<span class="chip state-(\w+)">', stuck.split('data-testid="attention"')[1])
    assert rows and set(rows) == {"stuck"}
    account = client.get(f"/accounts/{one.account_id}").text
    path = account.split('data-testid="success-path"')[1].split("</ol>")[0]
    assert path.count("reached ") == len(days) == one.current_position
    limited = TestClient(create_app(dataclasses.replace(site, csm_own_accounts_only=True, intake_worker=False)))
    token = csrf_of(limited.get("/login").text)
    limited.post("/login", data={"email": "csm@example.com", "password": PASSWORD, "csrf": token})
    assert re.search(r"Behind or stuck <small>0</small>", limited.get("/success").text)  # owns no account
