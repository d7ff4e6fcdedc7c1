"""<Enqueue> and its wait loop, dequeued by REST, <Leave>, a hang-up or <Dial><Queue>."""

from __future__ import annotations

from tests.standin import (
    CALLER,
    HOTLINE,
    ended,
    of,
    rest_client,
    until,
    webhooks,
)

ENQUEUE = ('<Response><Enqueue waitUrl="/wait" action="/left">support</Enqueue>'
           "<Say>after the queue</Say></Response>")


def wait_answer(hit):  # type: ignore[no-untyped-def]
    return (f"<Response><Say>position {hit.form['QueuePosition']}</Say>"
            "<Pause length='5'/></Response>")


def test_waiting_callers_hear_their_position_with_twilio_wait_parameters(customer, device):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", wait_answer)
    first = device.start_call(CALLER, HOTLINE)
    until(device, first, "say", text="position 1")
    second = device.start_call("+33600000002", HOTLINE)
    until(device, second, "say", text="position 2")
    wait = [h for h in customer.hits_to("/wait") if h.form["CallSid"] == second][0]
    assert wait.form["CurrentQueueSize"] == "2" and wait.form["QueueSid"].startswith("QU")
    assert {"QueueTime", "AvgQueueTime", "MaxQueueSize"} <= set(wait.form)
    assert wait.signed is True
    device.hangup(first)
    until(device, second, "say", text="position 1")  # the wait loop asks again
    device.hangup(second)


def test_caller_hanging_up_in_the_queue_tells_the_action_url(customer, device):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", wait_answer)
    customer.on("/left", "<Response><Say>never heard</Say></Response>")
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "say", text="position 1")
    device.hangup(sid)
    events = ended(device, sid)
    left = customer.hits_to("/left")[0]
    assert left.form["QueueResult"] == "hangup" and left.form["QueueSid"].startswith("QU")
    assert "never heard" not in [e["text"] for e in of(events, "say")]
    assert of(events, "ended")[0]["status"] == "completed"


def test_hold_bounds_the_wait_then_the_caller_hangs_up(customer, timed_device):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", wait_answer)
    events = ended(timed_device, timed_device.start_call(CALLER, HOTLINE, hold=20))
    left = of(events, "left_queue")[0]
    assert left["result"] == "hangup" and 20 <= left["t"] - of(events, "enqueued")[0]["t"] < 40
    assert of(events, "hangup")[0]["by"] == "hold"


def test_rest_redirect_takes_a_waiting_call_out_at_once(customer, device, local):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", '<Response><Play loop="0">music.mp3</Play></Response>')
    customer.on("/connect", "<Response><Say>connected</Say></Response>")
    sid = device.start_call(CALLER, HOTLINE)
    until(device, sid, "play")
    rest_client(local).api.v2010.account.calls(sid).update(url=customer.url + "/connect",
                                                      method="POST")
    events = ended(device, sid)
    assert customer.hits_to("/left")[0].form["QueueResult"] == "redirected"
    assert [e["path"] for e in webhooks(events)][-2:] == ["/connect", "/voice/status"]
    assert of(events, "say")[-1]["text"] == "connected"
    # the endless music (8000 s) stopped at once, whatever the REST request took
    assert of(events, "ended")[0]["duration"] < 200


def test_members_update_dequeues_the_front_member(customer, device, local):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", wait_answer)
    customer.on("/connect", "<Response><Hangup/></Response>")
    first = device.start_call(CALLER, HOTLINE)
    until(device, first, "enqueued")
    second = device.start_call("+33600000002", HOTLINE)
    until(device, second, "enqueued")
    rest = rest_client(local)
    queue = rest.api.v2010.account.queues.list()[0]
    assert (queue.friendly_name, queue.current_size) == ("support", 2)
    members = rest.api.v2010.account.queues(queue.sid).members.list()
    assert [(m.call_sid, m.position) for m in members] == [(first, 1), (second, 2)]
    member = rest.api.v2010.account.queues(queue.sid).members("Front").update(
        url=customer.url + "/connect", method="POST")
    assert member.call_sid == first
    ended(device, first)
    assert [m.call_sid for m in rest.api.v2010.account.queues(queue.sid).members.list()] == [
        second]
    until(device, second, "say", text="position 1")
    device.hangup(second)


def test_leave_goes_on_after_the_enqueue_when_there_is_no_action(customer, device):
    customer.on("/voice/incoming", '<Response><Enqueue waitUrl="/wait">support</Enqueue>'
                "<Say>after the queue</Say></Response>")
    customer.on("/wait", "<Response><Say>closing</Say><Leave/></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE))
    assert [e["text"] for e in of(events, "say")] == ["closing", "after the queue"]
    assert of(events, "left_queue")[0]["result"] == "leave"


def test_a_gather_in_the_wait_url_runs_its_action_then_the_wait_loop_goes_on(customer, device):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", '<Response><Gather numDigits="1" action="/pressed" timeout="3">'
                "<Say>press 1 for a callback</Say></Gather></Response>")
    customer.on("/pressed", lambda hit: "<Response><Leave/></Response>"
                if hit.form.get("Digits") == "1" else "<Response/>")
    customer.on("/left", "<Response><Say>we will call you back</Say></Response>")
    events = ended(device, device.start_call(CALLER, HOTLINE, ["-", "1"]))
    assert len(customer.hits_to("/wait")) == 2  # a time-out, then the loop asked again
    assert customer.hits_to("/left")[0].form["QueueResult"] == "leave"
    assert of(events, "say")[-1]["text"] == "we will call you back"


def test_a_full_queue_refuses_the_caller(customer, device, local):
    rest = rest_client(local)
    queue = rest.api.v2010.account.queues.create(friendly_name="support", max_size=1)
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", wait_answer)
    customer.on("/left", "<Response><Say>full</Say></Response>")
    first = device.start_call(CALLER, HOTLINE)
    until(device, first, "enqueued")
    events = ended(device, device.start_call("+33600000002", HOTLINE))
    assert customer.hits_to("/left")[0].form["QueueResult"] == "queue-full"
    assert of(events, "say")[-1]["text"] == "full"
    assert rest.api.v2010.account.queues(queue.sid).fetch().current_size == 1
    device.hangup(first)


def test_a_bad_wait_document_ends_the_wait_with_an_error(customer, device):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", "<Response><Dial>+33100000000</Dial></Response>")
    customer.on("/left", "<Response><Say>sorry</Say></Response>")
    ended(device, device.start_call(CALLER, HOTLINE))
    assert customer.hits_to("/left")[0].form["QueueResult"] == "error"


def test_dial_queue_bridges_the_first_waiting_caller(customer, device, local):
    customer.on("/voice/incoming", ENQUEUE)
    customer.on("/wait", wait_answer)
    customer.on("/left", "<Response><Say>agent left</Say></Response>")
    customer.on("/agent", '<Response><Dial action="/agent-done"><Queue url="/about-to-connect">'
                "support</Queue></Dial></Response>")
    customer.on("/about-to-connect", "<Response><Say>connecting you</Say></Response>")
    customer.on("/agent-done", "<Response><Hangup/></Response>")
    device.set_phone("+33700000001", talk=None)
    waiting = device.start_call(CALLER, HOTLINE)
    until(device, waiting, "enqueued")
    agent = rest_client(local).api.v2010.account.calls.create(
        to="+33700000001", from_=HOTLINE, url=customer.url + "/agent").sid
    until(device, agent, "bridged")
    device.hangup(agent)  # the agent hangs up; the caller goes on with the action
    agent_events = ended(device, agent)
    waiting_events = until(device, waiting, "say", text="agent left")
    assert [e["text"] for e in of(waiting_events, "say")][-2:] == ["connecting you",
                                                                  "agent left"]
    left = customer.hits_to("/left")[0]
    assert left.form["QueueResult"] == "bridged"
    done = customer.hits_to("/agent-done")[0]
    assert done.form["DialCallStatus"] == "completed" and done.form["DialCallSid"] == waiting
    assert int(done.form["DialCallDuration"]) >= 0
    assert of(agent_events, "bridged")[0]["call"] == waiting
    device.hangup(waiting)
