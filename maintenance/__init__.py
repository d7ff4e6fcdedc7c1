"""The maintenance follow-up: renewal and post-delivery estimates, per agency.

The FAQ's duty: each client receives a renewal estimate 60 days before their contract ends,
and an estimate for each new software order in the 15 days after its delivery; each agency's
maintenance service follows its own clients (docs/maintenance.md).
"""
