from pathlib import Path
import yaml
from ivr import guard
from ivr.flows.loader import from_data
from tests.helpers import scripted_call
from ivr.simulator import transcript

SHIPPED = Path("config/flow.yaml")

def test_x(app, r):
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["nodes"]["identify"].update(licence=True, licence_prompt="enter_licence")
    data["prompts"]["enter_licence"] = {"fr": "Tapez votre numéro de licence.", "en": "Licence."}
    service = app.extensions["ivr"]
    service.flows.publish(from_data(data), service.clock.now())
    for i in range(5):
        res = scripted_call(app, "-", "1001#", "5555#", "5555#", "5555#", caller=f"+3361234560{i}")
        print(res.outcome, res.said()[-3:])
    print(guard.flagged(r))
    print(r.zrange(guard.ID_FAILS_KEY.format("1001"), 0, -1, withscores=True))
    res = scripted_call(app, "-", "1001#", "1001#", "1")
    print("\n".join(transcript(res.heard)))
