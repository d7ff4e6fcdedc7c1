from tests.helpers import ASK_ID, TwiML, scripted_call


def test_open_call_reaches_identification(app):
    result = scripted_call(app, "-")
    first = TwiML(result.steps[0]["twiml"])
    assert first.verbs == ["Gather"]
    assert ASK_ID in result.said()
