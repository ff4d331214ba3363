package dev.fovea.data.shard;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * A Hadoop configuration's entries, small enough to ship with a task, so executors reach the same
 * file systems (an {@code hdfs://} NameNode, S3 credentials, replication) as the driver.
 */
public final class HadoopConf implements Serializable {
  private static final long serialVersionUID = 1L;
  private final HashMap<String, String> entries = new HashMap<>();
  private transient Configuration conf;

  public HadoopConf(Configuration conf) {
    for (Map.Entry<String, String> e : conf) {
      entries.put(e.getKey(), e.getValue());
    }
    this.conf = conf;
  }

  /** The configuration, rebuilt once per deserialized copy. */
  public synchronized Configuration get() {
    if (conf == null) {
      Configuration c = new Configuration(false);
      entries.forEach(c::set);
      conf = c;
    }
    return conf;
  }
}
