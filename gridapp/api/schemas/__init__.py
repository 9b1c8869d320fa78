"""The schemas of API v1 (pydantic v2), one module per domain: the query strings, path
parameters, request bodies and responses the OpenAPI document is generated from
(:mod:`gridapp.api.contract`). They describe the HTTP contract; the domain's own parsers
(:mod:`gridapp.core.params`) still check every value the services receive."""
