package dev.fovea.data.shard;

import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;

/**
 * The Parquet schema of a shard: one row per sample with its index in the source, its class and
 * its image. {@code spark.read.parquet} opens shards as a table with these columns.
 */
public final class ShardFormat {
  private ShardFormat() {}

  public static final String INDEX = "index";
  public static final String LABEL = "label";
  public static final String IMAGE = "image";

  /** Version 2 adds the source path or row of each sample. */
  public static final String KEY = "key";

  /** Version 2 (written by {@link ImageShardWriter}): {@code index} is the sample's shuffle key. */
  public static final MessageType SCHEMA_V2 = MessageTypeParser.parseMessageType(
      "message fovea_shard { required int64 " + INDEX + "; required int32 " + LABEL + "; required binary " + IMAGE
          + "; required binary " + KEY + " (UTF8); }");

  /** A set with a {@link TargetSpec} target: each sample's stored target. */
  public static final String TARGET = "target";

  /** {@link #SCHEMA_V2} with each sample's target ({@link TargetSpec#bytesPerSample()} bytes), after the key. */
  public static final MessageType SCHEMA_V2_TARGET = MessageTypeParser.parseMessageType(
      "message fovea_shard { required int64 " + INDEX + "; required int32 " + LABEL + "; required binary " + IMAGE
          + "; required binary " + KEY + " (UTF8); required binary " + TARGET + "; }");

  /** {@link #SCHEMA} with each sample's target ({@link TargetSpec#bytesPerSample()} bytes). */
  public static final MessageType SCHEMA_TARGET = MessageTypeParser.parseMessageType(
      "message fovea_shard { required int64 " + INDEX + "; required int32 " + LABEL + "; required binary " + IMAGE
          + "; required binary " + TARGET + "; }");

  public static final MessageType SCHEMA = MessageTypeParser.parseMessageType(
      "message fovea_shard { required int64 " + INDEX + "; required int32 " + LABEL + "; required binary " + IMAGE
          + "; }");
}
