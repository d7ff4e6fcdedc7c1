"""The whole contact centre on one machine: the local Twilio stand-in, the call
simulators and in-process trials, nginx in front, and the runner of `ivr run`."""
