"""The people who sign in: users and their roles, and their sessions."""
