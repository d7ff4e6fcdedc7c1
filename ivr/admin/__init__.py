"""Admin actions: one function per action, validated, atomic and written to the audit log.

The admin pages, the admin API and the `ivr` command all call these; none of them holds a
rule of its own. Every action takes the service (`ivr.services.hotline.Hotline`) and `by`, the name
written in the audit log (a user, or `system` for the command line without `--as`).
"""
