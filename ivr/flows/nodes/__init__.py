"""Node types of the call flow, one small class each; their registry, and the schema that reads
them from a flow file, are one floor up (ivr/flows/config.py)."""
