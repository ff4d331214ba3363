/**
 * The shard format (Parquet files plus {@code manifest.json}), the Spark job that writes it and the
 * checksummed reader executors use. Depends on Spark (provided), Parquet and Hadoop.
 */
package dev.fovea.data.shard;
