"""The service: its parts as routing and callbacks use them (`parts`), and the `Hotline` that
builds them once per process and is passed to whatever needs it (`hotline`).

This file imports nothing, so that code below the Hotline may import `ivr.services.parts`.
"""
