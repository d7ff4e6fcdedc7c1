"""Who calls: the client directory and its CSV, the guard against guessing, voicemail."""
