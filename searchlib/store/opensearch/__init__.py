"""The OpenSearch engine's store: an index kept in an OpenSearch cluster (issue 22).

- `address`: the ``http(s)://host:port/name`` location, credentials from the environment
  (no client import: choosing an engine is free);
- `encoding`: our analysers' tokens as OpenSearch fields, positions kept in layers
  (`layer_fields`, `FILLER`: the contract the query builder compiles against);
- `mapping`: index settings, mapping, versions;
- `client`: the opensearch-py client and the mapping of its errors into ours;
- `store`: `OpenSearchStore`, create/open/add/remove/rebuild/check/optimize/stats;
- `dedup`: near-duplicate groups by the Whoosh engine's rule.

Only `address` may be imported without the ``opensearch`` extra installed.
"""
