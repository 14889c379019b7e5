"""Visit-level records: one row per visit or insurance settlement, read in a stream from partitioned Parquet or CSV.

`layout` declares the record once (columns, types, Chinese names, the mapping file); `source` opens a folder
or file as a `visit` table for either engine; `synth` writes labelled synthetic records for tests and benchmarks.
The pack rules run over them through the ordinary `visit` entity — there is no second set of rules.
"""
