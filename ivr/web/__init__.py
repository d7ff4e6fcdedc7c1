"""The pages and the JSON API: sign-in, agent console, supervisor wall, admin pages,
health, security headers; their templates and static files."""
