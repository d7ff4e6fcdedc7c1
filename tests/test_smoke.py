from tests.helpers import TwiML, scripted_call


def test_open_call_reaches_identification(app):
    result = scripted_call(app, "-")
    first = TwiML(result.steps[0]["twiml"])
    assert first.verbs == ["Gather"]
    assert "Veuillez taper votre numéro client, suivi de la touche dièse." in result.said()
