"""Flask-side glue: request sessions, auth guard, error mapping, OpenAPI spec."""
