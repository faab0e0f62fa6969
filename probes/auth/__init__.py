"""Auth strategies, one per `auth.type` (README, Auth), behind the CredentialProvider protocol
(probes/credentials.py): the `auth:` block's models (spec.py), `build_provider` (build.py), static
credentials (static.py), OAuth2 grants (oauth2.py) behind a caching provider (provider.py).

Kept empty so that loading the config (which imports spec.py) does not import httpx.
"""
