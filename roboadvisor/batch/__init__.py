"""The book at scale: parquet partitions, the vectorised partition step, engines (local, Dask)."""
