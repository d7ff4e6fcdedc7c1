"""The admin pages with Flask's client: access, forms (CSRF), refusals shown, text escaped."""

from __future__ import annotations

import io
from datetime import datetime

from ivr.admin import audit
from ivr.core.settings import PROJECT_ROOT
from tests.conftest import PARIS
from tests.helpers import scripted_call
from tests.signin import csrf_token, signed_in

SHIPPED = (PROJECT_ROOT / "config" / "flow.yaml").read_text()
PAGES = ["/admin/", "/admin/flow", "/admin/flow/versions", "/admin/flow/diff?a=1&b=1",
         "/admin/flow/diagram", "/admin/flow/try", "/admin/hours", "/admin/live",
         "/admin/prompts", "/admin/clients", "/admin/clients/1001", "/admin/users",
         "/admin/sms", "/admin/audit"]




def post(client, path, data, page="/admin/"):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_every_page_opens_for_an_admin_only(app, admin, client):
    agent, supervisor = signed_in(app, "ann", "agent"), signed_in(app, "sue", "supervisor")
    for path in PAGES:
        assert admin.get(path).status_code == 200, path
        anonymous = client.get(path)
        assert (anonymous.status_code, anonymous.location) == (
            302, "/login?next=" + path.replace("=", "%3D").replace("&", "%26")), path
        assert agent.get(path).status_code == 403, path
        assert supervisor.get(path).status_code == 403, path


def test_forged_csrf_changes_nothing(admin, service):
    response = admin.post("/admin/hours/support/closures", data={
        "csrf_token": "forged", "first": "2026-12-24", "reason": "x"})
    assert response.status_code == 400
    assert service.flows.head() == 1 and audit.entries(service.redis) == []


def test_add_closure_from_the_page_is_heard_and_audited(app, admin, service):
    # the clock: Monday 7 December 2026, 09:00; the closure is for this afternoon
    response = post(admin, "/admin/hours/support/closures", {
        "first": "2026-12-07", "from_time": "13:30", "reason": "séminaire annuel",
        "expect": "1"}, "/admin/hours")
    assert response.status_code == 302
    page = admin.get("/admin/hours").get_data(as_text=True)
    assert "Closure added: version 2 is published." in page
    assert "2026-12-07 from 13:30" in page
    said = scripted_call(app, at=datetime(2026, 12, 7, 14, 0, tzinfo=PARIS)).said()
    assert "fermé exceptionnellement pour séminaire annuel" in said[2]
    [entry] = audit.entries(service.redis)
    assert (entry["who"], entry["action"]) == ("ada", "hours.closure.add")


def test_flow_errors_are_shown_at_their_line_and_nothing_saved(admin, service):
    bad = SHIPPED.replace("start: greeting", "start: nowhere")
    line = bad.splitlines().index("start: nowhere") + 1
    response = post(admin, "/admin/flow", {"source": bad, "base": "1", "action": "save"},
                    "/admin/flow")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"line {line}: start: unknown node &#39;nowhere&#39;" in page
    assert f'data-marks="{line}"' in page
    assert service.flows.head() == 1


def test_second_admin_on_the_same_base_gets_a_conflict(app, admin, service):
    bob = signed_in(app, "bob", "admin")
    first = post(admin, "/admin/flow", {"source": SHIPPED.replace("Bienvenue", "Salut"),
                                        "base": "1", "action": "save"}, "/admin/flow")
    assert first.status_code == 302
    second = post(bob, "/admin/flow", {"source": SHIPPED.replace("Bienvenue", "Hello"),
                                       "base": "1", "action": "save"}, "/admin/flow")
    assert second.status_code == 409
    assert "version 2 was saved by ada" in second.get_data(as_text=True)
    assert "Salut" in service.flows.revision(2).source and service.flows.head() == 2


def test_script_in_a_prompt_and_a_company_is_shown_as_text(admin, service):
    from ivr.admin import clients, flows

    flows.set_prompt(service, "welcome", "fr", "<script>alert('p')</script>", "ada")
    clients.import_clients(service, b"client_id,company,agency,phones,contract_end\n"
                           b"77,<script>alert('c')</script>,paris,,2030-01-01\n", "x.csv", "ada")
    for path in ("/admin/prompts", "/admin/clients", "/admin/clients/77", "/admin/flow",
                 "/admin/audit"):
        page = admin.get(path).get_data(as_text=True)
        assert "<script>alert(" not in page, path
    assert "&lt;script&gt;alert(&#39;c&#39;)&lt;/script&gt;" in admin.get(
        "/admin/clients/77").get_data(as_text=True)


def test_csv_upload_shows_every_bad_row(admin, service):
    data = ("client_id;company;agency;phones;contract_end\n"
            "1;A;paris;;2030-13-01\n2;=HYPERLINK(\"x\");paris;;2030-01-01\n")
    response = admin.post("/admin/clients", data={
        "csrf_token": csrf_token(admin, "/admin/clients"),
        "file": (io.BytesIO(data.encode()), "clients.csv")}, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "line 2, column 5 (contract_end): Input should be a valid date" in page
    assert "line 3, column 2 (company): starts with &#39;=&#39;" in page


def test_try_a_call_panel_runs_a_draft(admin, service):
    from ivr.admin import flows

    flows.save(service, SHIPPED.replace("Bienvenue au support technique.", "Essai !"), "", "ada",
               base=1)
    page = post(admin, "/admin/flow/try", {"number": "2", "at": "2026-12-25T10:00",
                                           "caller": "+33612345678", "keys": "-"},
                "/admin/flow/try").get_data(as_text=True)
    assert "Essai !" in page and "jour férié : Noël" in page
    assert service.flows.published_number() == 1


def test_audit_filter_by_user_and_action(admin, service):
    from ivr.admin import switches

    switches.set_emergency(service, datetime(2026, 12, 7, 12, 0, tzinfo=PARIS), "x", "ada")
    switches.end_emergency(service, "bob")
    page = admin.get("/admin/audit?user=bob").get_data(as_text=True)
    assert "emergency.end" in page and "emergency.set" not in page.split('id="audit"')[1]
    page = admin.get("/admin/audit?action=emergency.set&from=2026-12-07&to=2026-12-07")
    assert "emergency closure until" in page.get_data(as_text=True)
    assert "No entry." in admin.get("/admin/audit?from=2026-12-08").get_data(as_text=True)


def test_issue_a_token_shows_it_once(admin, service):
    from ivr.people import users

    page = post(admin, "/admin/users/change", {"name": "ada", "action": "token",
                                               "label": "CI"}, "/admin/users")
    text = page.get_data(as_text=True)
    token = text.split("<pre>")[1].split("</pre>")[0]
    assert users.user_for_token(service.redis, token).name == "ada"
    assert token not in admin.get("/admin/users").get_data(as_text=True)


def test_session_that_expired_goes_back_to_sign_in(admin, service):
    from datetime import timedelta

    service.clock.advance(timedelta(hours=2))
    assert admin.get("/admin/").status_code == 302


GARBAGE = {"number": "x", "expect": "-1", "index": "99", "first": "2026-02-30", "last": "nope",
           "from_time": "25:99", "to_time": "x", "reason": "\x00" * 3, "until": "tomorrow",
           "name": "../../etc", "lang": "zz", "text": "{", "label": "", "wait_prompt": "",
           "max_size": "-5", "source": "{{{", "base": "abc", "action": "explode",
           "role": "root", "password": "x", "agent_id": "a b", "token_id": "?",
           "at": "2026-13-01T25:00", "keys": "1 2 3 " * 40, "caller": "hello",
           "monday": "8h-12h", "text_fr": "x" * 5000, "file": "not a file"}


def test_no_form_input_makes_a_server_error(app, admin, service):
    token = csrf_token(admin, "/admin/")
    posts = [rule.rule for rule in app.url_map.iter_rules()
             if rule.endpoint.startswith("admin.") and "POST" in (rule.methods or ())]
    assert len(posts) >= 15
    for path in posts:
        url = path.replace("<name>", "support")
        for data in ({}, GARBAGE):
            response = admin.post(url, data={**data, "csrf_token": token})
            assert response.status_code < 500, (url, response.status_code)
    assert [e["action"] for e in audit.entries(service.redis)] == []
    assert service.flows.head() == 1 and service.flows.published_number() == 1
