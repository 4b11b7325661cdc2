"""OpenAPI contracts, pure: loading a document, finding an operation, validating a message.

Nothing here imports pytest, requests or the execution layer; the heavy validator libraries
(jsonschema, openapi-schema-validator) are imported on first use, by ``schemas``.
"""
