"""Outside services for live calls: the httpx client of `http` nodes and the REST customer directory."""
