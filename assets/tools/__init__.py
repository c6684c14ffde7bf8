"""Tools a model may call in `tool_use` rows: each a JSON schema and a real implementation."""
