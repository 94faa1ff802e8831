"""API pieces every app shares: pagination, parsing, errors, serializer fields."""
