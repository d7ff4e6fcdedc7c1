"""The call flow: the flow file as data, its nodes, the engine that runs a call through it,
the sealed call state, the TwiML written and the words spoken."""
