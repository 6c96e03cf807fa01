"""CLI sub-commands, one module per area; each exposes `register(app)` and imports its work lazily."""
