"""HTTP transport: the route table, authentication, error bodies and the OpenAPI document."""
